# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
import pytest

from kcloud_analyzer.conf import types


@pytest.mark.parametrize('text, seconds', [
    ('45', 45), ('45s', 45), ('30m', 1800), ('12h', 43200), ('24h', 86400),
    ('7d', 604800), (' 5m ', 300), (90, 90),
])
def test_duration_accepts_the_seed_forms(text, seconds):
    assert types.Duration()(text) == seconds


@pytest.mark.parametrize('text', ['', 'h', '1.5h', '10 hours', '-5m', '5w',
                                  True])
def test_duration_refuses_other_forms(text):
    with pytest.raises(ValueError):
        types.Duration()(text)


def test_duration_minimum():
    with pytest.raises(ValueError, match='below the minimum'):
        types.Duration(min=60)('30s')
