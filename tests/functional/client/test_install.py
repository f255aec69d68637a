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
"""The client and the Horizon panels install without the service's
analytics stack.

pip resolves each distribution from this checkout in a fresh virtualenv
(``--dry-run --report``: everything it would install, nothing installed)
against the same package indexes as ``make dev``.
"""

import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
ANALYTICS = {'pandas', 'scipy', 'scikit-learn', 'statsmodels', 'skops',
             'numpy', 'kcloud-analyzer'}


@pytest.fixture(scope='module')
def fresh_pip(tmp_path_factory):
    venv = tmp_path_factory.mktemp('fresh') / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True,
                   timeout=300)
    return venv / 'bin' / 'pip'


def _resolve(pip, tmp_path, *folders):
    report = tmp_path / 'report.json'
    done = subprocess.run(
        [str(pip), 'install', '--dry-run', '--ignore-installed', '--quiet',
         '--report', str(report), *(str(ROOT / f) for f in folders)],
        capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return {item['metadata']['name'].lower().replace('_', '-')
            for item in json.loads(report.read_text())['install']}


def test_client_pulls_no_analytics(fresh_pip, tmp_path):
    names = _resolve(fresh_pip, tmp_path, 'client')
    assert {'python-kcloud-analyzerclient', 'python-openstackclient',
            'osc-lib', 'keystoneauth1'} <= names
    assert not names & ANALYTICS, sorted(names & ANALYTICS)


def test_dashboard_pulls_no_analytics(fresh_pip, tmp_path):
    names = _resolve(fresh_pip, tmp_path, 'client', 'dashboard')
    assert 'kcloud-analyzer-dashboard' in names
    assert not names & ANALYTICS, sorted(names & ANALYTICS)
    # Horizon's own environment provides Django: the panels never
    # replace it.
    assert 'django' not in names and 'horizon' not in names
