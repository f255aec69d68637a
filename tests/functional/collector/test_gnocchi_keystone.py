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
"""The gnocchi collector against Gnocchi behind Keystone (``auth_mode =
keystone``, keystonemiddleware validating the tokens), both from PyPI:
the collector logs in through a keystoneauth session, finds Gnocchi in
the service catalog and sees only what its project may see."""

import datetime
import subprocess
import time
import uuid

from gnocchiclient import client as gnocchi_client
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import pytest
import requests

from kcloud_analyzer.common import metrics as m
from kcloud_analyzer.metrics_collector.collectors import gnocchi
from tests.functional.api import keystone
from tests.functional.collector import conftest
from tests.functional.collector import services

PASSWORD = 'gnocchi-keystone-secret'


def _session(url, user, project):
    return ks_session.Session(auth=v3.Password(
        auth_url=url + '/v3', username=user, password=PASSWORD,
        project_name=project, user_domain_id='default',
        project_domain_id='default'))


def _catalog(admin, url, gnocchi_url):
    """Register Gnocchi as the ``metric`` service, as DevStack does."""
    headers = {'X-Auth-Token': admin.token}
    service = requests.post(url + '/v3/services', headers=headers, json={
        'service': {'type': 'metric', 'name': 'gnocchi'}}, timeout=30)
    service.raise_for_status()
    for interface in ('public', 'internal'):
        requests.post(url + '/v3/endpoints', headers=headers, json={
            'endpoint': {'service_id': service.json()['service']['id'],
                         'interface': interface, 'url': gnocchi_url,
                         'region_id': 'RegionOne'}},
            timeout=30).raise_for_status()


def _paste_config(folder, config):
    """Gnocchi's own api-paste.ini, its keystonemiddleware filter told
    which file holds [keystone_authtoken]: with only
    ``oslo_config_project = gnocchi`` it looks in /etc/gnocchi."""
    python = conftest.GNOCCHI_VENV / 'bin' / 'python'
    shipped = subprocess.run(
        [str(python), '-c', 'import gnocchi.rest, os; print(os.path.join('
         'os.path.dirname(gnocchi.rest.__file__), "api-paste.ini"))'],
        check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    with open(shipped) as stream:
        text = stream.read()
    marker = 'oslo_config_project = gnocchi\n'
    text = text.replace(
        '[filter:keystone_authtoken]\nuse = egg:keystonemiddleware#auth_token'
        '\n' + marker,
        '[filter:keystone_authtoken]\nuse = egg:keystonemiddleware#auth_token'
        '\n' + marker + 'oslo_config_file = %s\n' % config)
    assert 'oslo_config_file' in text
    path = folder / 'api-paste.ini'
    path.write_text(text)
    return path


@pytest.fixture(scope='module')
def keystone_gnocchi(tmp_path_factory):
    """Keystone, then Gnocchi with keystone auth registered in its
    catalog; yields (keystone URL, project ids)."""
    python = conftest.GNOCCHI_VENV / 'bin' / 'python'
    assert python.exists(), (
        'Gnocchi is not installed; run tools/ci/setup-gnocchi.sh')
    folder = tmp_path_factory.mktemp('gnocchi-keystone')
    with keystone.running_keystone() as url:
        admin = keystone.Admin(url)
        projects = {name: admin.project(name)
                    for name in ('service', 'tenant-a', 'tenant-b')}
        # Gnocchi's own service user validates tokens; the analyzer's
        # reads every project as an admin, alice only her project
        admin.user('gnocchi', PASSWORD, projects['service'], 'admin')
        admin.user('kcloud-analyzer', PASSWORD, projects['service'], 'admin')
        admin.user('alice', PASSWORD, projects['tenant-a'], 'member')
        port = services.free_port()
        gnocchi_url = 'http://127.0.0.1:%d' % port
        _catalog(admin, url, gnocchi_url)
        with services.postgresql_database(migrate=False) as pg:
            config = folder / 'gnocchi.conf'
            paste = _paste_config(folder, config)
            config.write_text(
                '[indexer]\nurl = %s\n[storage]\ndriver = file\n'
                'file_basepath = %s\n[api]\nauth_mode = keystone\n'
                'paste_config = %s\n'
                '[metricd]\nmetric_processing_delay = 1\nworkers = 1\n'
                '[keystone_authtoken]\nwww_authenticate_uri = %s/v3\n'
                'auth_url = %s\nauth_type = password\nusername = gnocchi\n'
                'password = %s\nproject_name = service\n'
                'user_domain_id = default\nproject_domain_id = default\n'
                'service_token_roles_required = true\n'
                % (pg.replace('+psycopg2', ''), folder / 'storage', paste,
                   url, url, PASSWORD))
            subprocess.run([str(conftest.GNOCCHI_VENV / 'bin' /
                                'gnocchi-upgrade'),
                            '--config-file', str(config)], check=True,
                           timeout=180, capture_output=True)

            def ready():
                try:
                    # keystonemiddleware answers 401 once the API is up
                    return requests.get(gnocchi_url + '/v1/resource/generic',
                                        timeout=2).status_code == 401
                except requests.ConnectionError:
                    return False

            with services.process([str(conftest.GNOCCHI_VENV / 'bin' /
                                        'gnocchi-metricd'),
                                   '--config-file', str(config)]), \
                    services.process([str(python),
                                      str(services.HERE / 'gnocchi_api.py'),
                                      str(config), str(port)],
                                     ready=ready, timeout=90):
                yield url, projects


def _collector(url, user, project):
    """The collector as an operator configures it: Keystone options of
    [gnocchi_collector], no endpoint: Gnocchi comes from the catalog."""
    return gnocchi.GnocchiCollector(services.make_conf({
        ('gnocchi_collector', 'auth_type'): 'password',
        ('gnocchi_collector', 'auth_url'): url + '/v3',
        ('gnocchi_collector', 'username'): user,
        ('gnocchi_collector', 'password'): PASSWORD,
        ('gnocchi_collector', 'project_name'): project,
        ('gnocchi_collector', 'user_domain_id'): 'default',
        ('gnocchi_collector', 'project_domain_id'): 'default',
        ('gnocchi_collector', 'interface'): 'internal',
        ('gnocchi_collector', 'region_name'): 'RegionOne',
    }))


def test_collector_through_keystone_and_catalog(keystone_gnocchi):
    url, projects = keystone_gnocchi
    # what Ceilometer's gnocchi publisher does, as its service user
    writer = gnocchi_client.Client('1', session=_session(
        url, 'kcloud-analyzer', 'service'),
        adapter_options={'interface': 'internal'})
    writer.resource_type.create({'name': 'instance', 'attributes': {
        'display_name': {'type': 'string', 'required': False}}})
    policy = 'kca-%s' % uuid.uuid4().hex[:8]
    writer.archive_policy.create({
        'name': policy, 'aggregation_methods': ['mean', 'rate:mean'],
        'definition': [{'granularity': '60s', 'timespan': '1 day'}]})
    start = datetime.datetime.now(datetime.UTC).replace(
        second=0, microsecond=0) - datetime.timedelta(minutes=10)
    minutes = [start + datetime.timedelta(minutes=i) for i in range(2)]
    instances = {}
    for tenant, used in (('tenant-a', 1024.0), ('tenant-b', 3072.0)):
        instance = str(uuid.uuid4())
        resource = writer.resource.create('instance', {
            'id': instance, 'project_id': projects[tenant],
            'user_id': str(uuid.uuid4()), 'display_name': tenant,
            'metrics': {name: {'archive_policy_name': policy}
                        for name in ('memory.usage', 'memory')}})
        for name, value in (('memory.usage', used), ('memory', 4096.0)):
            writer.metric.add_measures(resource['metrics'][name], [
                {'timestamp': t.isoformat(), 'value': value}
                for t in minutes])
        instances[tenant] = (instance, resource['metrics'])
    services.wait_for(
        lambda: all(len(writer.metric.get_measures(ids['memory'])) == 2
                    for _, ids in instances.values()),
        60, interval=0.5, what='gnocchi-metricd to process the measures')

    everyone = _collector(url, 'kcloud-analyzer', 'service')
    a, b = instances['tenant-a'][0], instances['tenant-b'][0]
    assert {a, b} <= set(everyone.targets())
    now = time.time()
    samples = everyone.poll([a, b], now)
    got = {(r.resource_id, r.metric): r.value for r in samples.itertuples()}
    assert got == {(a, m.MEMORY_UTILIZATION): pytest.approx(25.0),
                   (b, m.MEMORY_UTILIZATION): pytest.approx(75.0)}

    # a project-scoped account sees its own project's instances only
    alice = _collector(url, 'alice', 'tenant-a')
    assert alice.targets() == [a]
    mine = alice.poll([a, b], now)
    assert set(mine['resource_id']) == {a}
    assert mine['value'].tolist() == pytest.approx([25.0, 25.0])


def test_a_wrong_password_is_refused_by_keystone(keystone_gnocchi):
    url, _ = keystone_gnocchi
    collector = gnocchi.GnocchiCollector(services.make_conf({
        ('gnocchi_collector', 'auth_type'): 'password',
        ('gnocchi_collector', 'auth_url'): url + '/v3',
        ('gnocchi_collector', 'username'): 'alice',
        ('gnocchi_collector', 'password'): 'not-her-password',
        ('gnocchi_collector', 'project_name'): 'tenant-a',
        ('gnocchi_collector', 'user_domain_id'): 'default',
        ('gnocchi_collector', 'project_domain_id'): 'default',
    }))
    from keystoneauth1 import exceptions as ks_exc
    with pytest.raises(ks_exc.Unauthorized):
        collector.targets()
