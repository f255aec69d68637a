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
"""A real Keystone (from PyPI, in ``.ci-venvs/keystone``) for the tests.

``tools/ci/setup-keystone.sh`` installs it; this module creates its SQLite
database and fernet keys in a temporary folder, bootstraps the admin, and
serves it on a free loopback port until the tests are done.
"""

import contextlib
import os
import pathlib
import socket
import subprocess
import tempfile
import time

import requests

ROOT = pathlib.Path(__file__).resolve().parents[3]
VENV = pathlib.Path(os.environ.get('KEYSTONE_VENV',
                                   ROOT / '.ci-venvs' / 'keystone'))
ADMIN_PASSWORD = 'keystone-admin-secret'

CONFIG = """[DEFAULT]
log_file = {folder}/keystone.log
[database]
connection = sqlite:///{folder}/keystone.sqlite
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = {folder}/fernet-keys
[fernet_receipts]
key_repository = {folder}/fernet-keys
[credential]
key_repository = {folder}/credential-keys
"""

# Keystone reads the WSGI server's command line as its own, so it is
# served from a module that clears sys.argv before importing it.
SERVER = """import sys
from socketserver import ThreadingMixIn
from wsgiref import simple_server

port = int(sys.argv[1])
sys.argv = sys.argv[:1]
from keystone.wsgi.api import application


class Server(ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True


class QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


simple_server.make_server('127.0.0.1', port, application, Server,
                          QuietHandler).serve_forever()
"""


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _manage(env, *args):
    subprocess.run([str(VENV / 'bin' / 'keystone-manage'), *args],
                   env=env, check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def running_keystone():
    """Yield the base URL of a bootstrapped Keystone serving on loopback.

    Raises (the tests fail) when Keystone is not installed or does not
    answer within a minute.
    """
    if not (VENV / 'bin' / 'keystone-manage').exists():
        raise RuntimeError('Keystone is not installed in %s; run '
                           'tools/ci/setup-keystone.sh' % VENV)
    with tempfile.TemporaryDirectory(prefix='keystone-') as folder:
        config = pathlib.Path(folder) / 'keystone.conf'
        config.write_text(CONFIG.format(folder=folder))
        env = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=str(config))
        env.pop('PYTHONPATH', None)
        port = _free_port()
        url = 'http://127.0.0.1:%d' % port
        _manage(env, '--config-file', str(config), 'db_sync')
        for command in ('fernet_setup', 'credential_setup'):
            _manage(env, '--config-file', str(config), command,
                    '--keystone-user', str(os.getuid()),
                    '--keystone-group', str(os.getgid()))
        _manage(env, '--config-file', str(config), 'bootstrap',
                '--bootstrap-password', ADMIN_PASSWORD,
                '--bootstrap-admin-url', url + '/v3',
                '--bootstrap-public-url', url + '/v3',
                '--bootstrap-internal-url', url + '/v3',
                '--bootstrap-region-id', 'RegionOne')
        server = pathlib.Path(folder) / 'serve.py'
        server.write_text(SERVER)
        process = subprocess.Popen(
            [str(VENV / 'bin' / 'python'), str(server), str(port)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError('Keystone exited: %s' %
                                       process.stderr.read().decode())
                try:
                    if requests.get(url + '/v3', timeout=2).ok:
                        break
                except requests.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError('Keystone did not answer on %s' % url)
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


class Admin:
    """Just enough of the identity API to set up users and projects."""

    def __init__(self, url):
        self.url = url
        self.token = token(url, 'admin', ADMIN_PASSWORD, 'admin')

    def _post(self, path, body):
        response = requests.post(self.url + '/v3' + path, json=body,
                                 headers={'X-Auth-Token': self.token},
                                 timeout=30)
        response.raise_for_status()
        return response.json()

    def role_id(self, name):
        response = requests.get(self.url + '/v3/roles',
                                params={'name': name},
                                headers={'X-Auth-Token': self.token},
                                timeout=30)
        response.raise_for_status()
        return response.json()['roles'][0]['id']

    def project(self, name):
        return self._post('/projects', {'project': {
            'name': name, 'domain_id': 'default'}})['project']['id']

    def user(self, name, password, project_id, role):
        user_id = self._post('/users', {'user': {
            'name': name, 'password': password,
            'domain_id': 'default'}})['user']['id']
        response = requests.put(
            '%s/v3/projects/%s/users/%s/roles/%s' % (
                self.url, project_id, user_id, self.role_id(role)),
            headers={'X-Auth-Token': self.token}, timeout=30)
        response.raise_for_status()
        return user_id

    def revoke(self, subject_token):
        response = requests.delete(
            self.url + '/v3/auth/tokens',
            headers={'X-Auth-Token': self.token,
                     'X-Subject-Token': subject_token}, timeout=30)
        response.raise_for_status()


def token(url, user, password, project=None):
    """A token from a password login, scoped to ``project`` (a name), or
    to the system when ``project`` is None (bootstrap gives the admin
    user the admin role on the system)."""
    if project is None:
        scope = {'system': {'all': True}}
    else:
        scope = {'project': {'name': project, 'domain': {'id': 'default'}}}
    response = requests.post(url + '/v3/auth/tokens', json={'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': user, 'domain': {'id': 'default'},
            'password': password}}},
        'scope': scope}}, timeout=30)
    response.raise_for_status()
    return response.headers['X-Subject-Token']
