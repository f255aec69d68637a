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
"""The API behind the real keystonemiddleware auth_token, validating real
tokens issued by a real Keystone."""

import threading

import pytest
import requests

from kcloud_analyzer.api import app
from kcloud_analyzer.cmd import api as api_cmd
from kcloud_analyzer.common import context
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from tests import fixtures as test_fixtures
from tests.functional.api import fixtures
from tests.functional.api import keystone


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


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    """Keystone with two projects, and the API in front of a store that
    holds one workload of each."""
    with keystone.running_keystone() as keystone_url:
        admin = keystone.Admin(keystone_url)
        alpha = admin.project('alpha')
        beta = admin.project('beta')
        admin.user('alice', 'alice-pw', alpha, 'member')
        admin.user('rita', 'rita-pw', alpha, 'reader')
        admin.user('bob', 'bob-pw', beta, 'member')
        admin.user('ada', 'ada-pw', alpha, 'admin')

        folder = tmp_path_factory.mktemp('store')
        config = folder / 'kcloud-analyzer.conf'
        config.write_text(AUTHTOKEN_CONFIG.format(
            url=keystone_url, password=keystone.ADMIN_PASSWORD))
        conf = fixtures.make_conf(
            'sqlite:///%s' % (folder / 'store.sqlite'),
            config_files=[str(config)])
        application = app.setup_app(conf)
        test_fixtures.use_store(conf)
        migration.upgrade()
        admin_context = context.get_admin_context()
        for workload_id, project in (('alpha-job', alpha),
                                     ('beta-job', beta)):
            db_api.workload_upsert(admin_context, {
                'workload_id': workload_id, 'project_id': project,
                'declared_type': 'training',
                'resources': {'cpu_cores': 2, 'memory_gb': 8}})

        server = api_cmd.make_server(conf, application, port=0)
        server.prepare()
        thread = threading.Thread(target=server.serve, daemon=True)
        thread.start()
        try:
            yield {'api': api_cmd.base_url(server), 'keystone': keystone_url,
                   'admin': admin, 'alpha': alpha, 'beta': beta,
                   'conf': conf}
        finally:
            server.stop()
            thread.join(timeout=10)


def _token(cloud, user, password, project):
    return keystone.token(cloud['keystone'], user, password, project)


def _get(cloud, path, token=None):
    headers = {'X-Auth-Token': token} if token else {}
    return requests.get(cloud['api'] + path, headers=headers, timeout=30)


def test_member_sees_own_project(cloud):
    token = _token(cloud, 'alice', 'alice-pw', 'alpha')
    response = _get(cloud, '/api/v1/workloads', token)
    assert response.status_code == 200, response.text
    workloads = response.json()['workloads']
    assert [w['workload_id'] for w in workloads] == ['alpha-job']
    assert workloads[0]['project_id'] == cloud['alpha']


def test_member_of_other_project_gets_404(cloud):
    token = _token(cloud, 'bob', 'bob-pw', 'beta')
    response = _get(cloud, '/api/v1/workloads/alpha-job', token)
    assert response.status_code == 404
    assert response.json()['errors'][0]['code'] == (
        'kcloud-analyzer.workload_not_found')
    assert _get(cloud, '/api/v1/workloads/beta-job', token).ok


def test_system_admin_sees_every_project(cloud):
    token = _token(cloud, 'admin', keystone.ADMIN_PASSWORD, None)
    response = _get(cloud, '/api/v1/workloads', token)
    assert response.status_code == 200
    assert {w['workload_id'] for w in response.json()['workloads']} == {
        'alpha-job', 'beta-job'}
    assert _get(cloud, '/api/v1/workloads/beta-job', token).ok


def test_project_admin_sees_its_project_only(cloud):
    # an admin of project "admin" sees none of alpha's and beta's
    token = _token(cloud, 'admin', keystone.ADMIN_PASSWORD, 'admin')
    response = _get(cloud, '/api/v1/workloads', token)
    assert response.status_code == 200, response.text
    assert response.json()['workloads'] == []
    # an admin of alpha sees alpha, and beta reads as missing
    token = _token(cloud, 'ada', 'ada-pw', 'alpha')
    response = _get(cloud, '/api/v1/workloads', token)
    assert [w['workload_id'] for w in response.json()['workloads']] == [
        'alpha-job']
    assert _get(cloud, '/api/v1/workloads/alpha-job', token).ok
    response = _get(cloud, '/api/v1/workloads/beta-job', token)
    assert response.status_code == 404
    response = _get(cloud, '/api/v1/workloads?project_id=%s'
                    % cloud['beta'], token)
    assert response.status_code == 403
    response = requests.post(
        cloud['api'] + '/api/v1/cost/reprocess', timeout=30,
        headers={'X-Auth-Token': token},
        json={'start': '2026-01-05T00:00:00Z',
              'end': '2026-01-06T00:00:00Z'})
    assert response.status_code == 403


def test_reader_cannot_write(cloud):
    token = _token(cloud, 'rita', 'rita-pw', 'alpha')
    assert _get(cloud, '/api/v1/workloads/alpha-job', token).ok
    response = requests.post(
        cloud['api'] + '/api/v1/analyze', timeout=30,
        headers={'X-Auth-Token': token},
        json={'workload_id': 'rita-job', 'resources': {'cpu_cores': 1}})
    assert response.status_code == 403
    assert response.json()['errors'][0]['code'] == 'kcloud-analyzer.forbidden'


def test_member_can_write(cloud):
    token = _token(cloud, 'alice', 'alice-pw', 'alpha')
    response = requests.post(
        cloud['api'] + '/api/v1/analyze', timeout=60,
        headers={'X-Auth-Token': token},
        json={'workload_id': 'alice-job', 'type': 'serving',
              'resources': {'cpu_cores': 4, 'memory_gb': 16},
              'usage_pattern': {'cpu_utilization': 30.0}})
    assert response.status_code == 200, response.text
    shown = _get(cloud, '/api/v1/workloads/alice-job', token).json()
    assert shown['project_id'] == cloud['alpha']


def test_no_token_is_401(cloud):
    response = _get(cloud, '/api/v1/workloads')
    assert response.status_code == 401
    assert 'Keystone uri' in response.headers['WWW-Authenticate']
    error = response.json()['errors'][0]
    assert error['code'] == 'kcloud-analyzer.unauthenticated'
    assert error['request_id'].startswith('req-')


def test_bogus_token_is_401(cloud):
    response = _get(cloud, '/api/v1/workloads', 'gAAAAAB-not-a-real-token')
    assert response.status_code == 401


def test_revoked_token_is_401(cloud):
    token = _token(cloud, 'alice', 'alice-pw', 'alpha')
    cloud['admin'].revoke(token)
    response = _get(cloud, '/api/v1/workloads', token)
    assert response.status_code == 401


def test_public_paths_need_no_token(cloud):
    assert _get(cloud, '/').ok
    assert _get(cloud, '/health').json()['status'] == 'ok'
    assert _get(cloud, '/openapi.json').json()['openapi'] == '3.0.3'


def test_metrics_answer_loopback_without_a_token(cloud):
    response = _get(cloud, '/metrics')
    assert response.status_code == 200
    assert 'kcloud_analyzer_api_requests_total' in response.text


@pytest.fixture
def restricted(cloud):
    """The same API where no address may read /metrics without a token."""
    conf = cloud['conf']
    conf.set_override('metrics_allowed_cidrs', ['192.0.2.0/24'], 'api')
    try:
        application = app.setup_app(conf)
    finally:
        conf.clear_override('metrics_allowed_cidrs', 'api')
    server = api_cmd.make_server(conf, application, port=0)
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield dict(cloud, api=api_cmd.base_url(server))
    finally:
        server.stop()
        thread.join(timeout=10)


def test_metrics_need_a_token_outside_the_allowed_networks(restricted):
    response = _get(restricted, '/metrics')
    assert response.status_code == 401
    member = _token(restricted, 'alice', 'alice-pw', 'alpha')
    response = _get(restricted, '/metrics', member)
    assert response.status_code == 403
    assert response.json()['errors'][0]['code'] == 'kcloud-analyzer.forbidden'
    admin = _token(restricted, 'admin', keystone.ADMIN_PASSWORD, None)
    response = _get(restricted, '/metrics', admin)
    assert response.status_code == 200
    assert 'kcloud_analyzer_api_requests_total' in response.text
