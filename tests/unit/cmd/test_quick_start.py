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
"""kcloud-analyzer-manage, -agent and -api --help load no analytics or
database stack."""

import json
import subprocess
import sys

import pytest

HEAVY = ('pandas', 'numpy', 'scipy', 'sklearn', 'statsmodels', 'sqlalchemy',
         'alembic')

PROBE = """
import json, sys
from kcloud_analyzer.cmd import %s as command
try:
    command.main(['--help'])
except SystemExit:
    pass
loaded = sorted({name.split('.')[0] for name in sys.modules
                 if '.' in name and name.split('.')[0] in %r})
print(json.dumps(loaded), file=sys.stderr)
"""


@pytest.mark.parametrize('command', ['manage', 'agent', 'api'])
def test_help_imports_none_of_the_heavy_packages(command):
    result = subprocess.run([sys.executable, '-c', PROBE % (command, HEAVY)],
                            capture_output=True, text=True, timeout=300)
    assert 'category' in result.stdout or 'usage' in result.stdout.lower()
    loaded = json.loads(result.stderr.strip().splitlines()[-1])
    assert loaded == []
    assert 'Eventlet' not in result.stderr


def test_the_commands_still_load_what_they_use():
    from kcloud_analyzer.cmd import cost
    # attribute access executes the module
    assert cost.pd.DataFrame({'a': [1]}).shape == (1, 1)
    assert callable(cost.ratecard.load_rate_card)
