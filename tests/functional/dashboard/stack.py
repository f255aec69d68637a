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
"""What the dashboard tests share: Horizon's interpreter, the API behind
keystonemiddleware, and the API in the Keystone catalog."""

import os
import pathlib
import subprocess
import threading

import requests

from kcloud_analyzer.api import app
from kcloud_analyzer.cmd import api as api_cmd
from kcloud_analyzer.db import migration
from tests import fixtures as test_fixtures
from tests.functional.api import fixtures
from tests.functional.api import keystone

ROOT = pathlib.Path(__file__).resolve().parents[3]
HERE = pathlib.Path(__file__).resolve().parent
HORIZON_PYTHON = pathlib.Path(os.environ.get(
    'HORIZON_VENV', ROOT / '.ci-venvs' / 'horizon')) / 'bin' / 'python'

AUTHTOKEN_CONFIG = """[keystone_authtoken]
www_authenticate_uri = {url}/v3
auth_url = {url}/v3
auth_type = password
username = admin
password = {password}
project_name = admin
user_domain_id = default
project_domain_id = default
"""


def require_horizon():
    """Fail (never skip) at once when Horizon's virtualenv is missing."""
    if not HORIZON_PYTHON.exists():
        raise RuntimeError('Horizon is not installed in %s; run '
                           'tools/ci/setup-horizon.sh'
                           % HORIZON_PYTHON.parents[1])


def start_horizon(script, **env_extra):
    """Start ``script`` (of this folder) in Horizon's interpreter, with
    this checkout's panels and client first on its path, whichever
    checkout Horizon's virtualenv was made from."""
    require_horizon()
    env = dict(os.environ)
    env.pop('DJANGO_SETTINGS_MODULE', None)
    env['PYTHONPATH'] = os.pathsep.join(
        [str(ROOT / 'dashboard'), str(ROOT / 'client')])
    env.update(env_extra)
    return subprocess.Popen(
        [str(HORIZON_PYTHON), str(HERE / script)], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def stop(process):
    if process.poll() is None:
        process.kill()
        process.communicate()


def register_endpoint(keystone_url, admin, api_url):
    """Put the API in the catalog as Horizon's users will find it."""
    headers = {'X-Auth-Token': admin.token}
    service = requests.post(keystone_url + '/v3/services', headers=headers,
                            timeout=30, json={'service': {
                                'type': 'workload-analyzer',
                                'name': 'kcloud-analyzer'}})
    service.raise_for_status()
    requests.post(keystone_url + '/v3/endpoints', headers=headers,
                  timeout=30, json={'endpoint': {
                      'service_id': service.json()['service']['id'],
                      'interface': 'public', 'region_id': 'RegionOne',
                      'url': api_url}}).raise_for_status()


def serve_api(folder, keystone_url):
    """The API behind auth_token on a free loopback port; returns the
    configuration and the running server."""
    config = folder / 'kcloud-analyzer.conf'
    # Horizon's tokens are project-scoped: the admin panel needs admin
    # tokens of any project to see every project, as doc/source/admin/
    # dashboard.rst tells operators to set.
    policy_file = folder / 'policy.yaml'
    policy_file.write_text('"admin_all_projects": "role:admin"\n')
    config.write_text(AUTHTOKEN_CONFIG.format(
        url=keystone_url, password=keystone.ADMIN_PASSWORD) +
        '[oslo_policy]\npolicy_file = %s\n' % policy_file)
    conf = fixtures.make_conf('sqlite:///%s' % (folder / 'store.sqlite'),
                              config_files=[str(config)])
    conf.set_override('state_path', str(folder))
    application = app.setup_app(conf)
    test_fixtures.use_store(conf)
    migration.upgrade()
    server = api_cmd.make_server(conf, application, port=0)
    server.prepare()
    threading.Thread(target=server.serve, daemon=True).start()
    return conf, server
