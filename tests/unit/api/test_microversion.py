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

from kcloud_analyzer.api import errors
from kcloud_analyzer.api import microversion


@pytest.mark.parametrize('header, expected', [
    (None, microversion.MIN_VERSION),
    ('', microversion.MIN_VERSION),
    ('analyzer 1.0', (1, 0)),
    ('analyzer latest', microversion.MAX_VERSION),
    ('compute 2.1, analyzer 1.0', (1, 0)),
    ('ANALYZER 1.0', (1, 0)),
    ('compute 2.90', microversion.MIN_VERSION),
])
def test_parse(header, expected):
    assert microversion.parse(header) == expected


@pytest.mark.parametrize('header', ['analyzer 1', 'analyzer 01.0',
                                    'analyzer x.y', 'analyzer 1.0.0'])
def test_malformed(header):
    with pytest.raises(errors.VersionInvalid):
        microversion.parse(header)


@pytest.mark.parametrize('header', ['analyzer 1.1', 'analyzer 2.0',
                                    'analyzer 0.9'])
def test_out_of_range(header):
    with pytest.raises(errors.VersionNotAcceptable):
        microversion.parse(header)
