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
import subprocess

import pytest
import requests

from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import rpc
from kcloud_analyzer.metrics_collector import ingest
from kcloud_analyzer.metrics_collector import notifications
from tests.functional.collector import services


@pytest.fixture(scope='session')
def pg_url():
    with services.postgresql_database() as url:
        yield url


@pytest.fixture
def db(pg_url):
    from kcloud_analyzer.db import api as db_api
    services.configure_db(pg_url)
    return db_api


@pytest.fixture
def rabbit_url():
    services.require_port('127.0.0.1', 5672, 'RabbitMQ')
    return services.RABBIT_URL


GNOCCHI_VENV = services.REPO / '.ci-venvs' / 'gnocchi'


@pytest.fixture(scope='session')
def gnocchi_url(tmp_path_factory):
    """Gnocchi from its own virtualenv: PostgreSQL indexer, file storage,
    basic auth, gnocchi-metricd running. Started once per session."""
    python = GNOCCHI_VENV / 'bin' / 'python'
    assert python.exists(), (
        'Gnocchi is not installed; run tools/ci/setup-gnocchi.sh')
    folder = tmp_path_factory.mktemp('gnocchi')
    with services.postgresql_database(migrate=False) as url:
        config = folder / 'gnocchi.conf'
        config.write_text(
            '[indexer]\nurl = %s\n[storage]\ndriver = file\n'
            'file_basepath = %s\n[api]\nauth_mode = basic\n'
            '[metricd]\nmetric_processing_delay = 1\nworkers = 1\n'
            % (url.replace('+psycopg2', ''), folder / 'storage'))
        # gnocchi-upgrade retries forever on some indexer errors
        subprocess.run([str(GNOCCHI_VENV / 'bin' / 'gnocchi-upgrade'),
                        '--config-file', str(config)], check=True,
                       timeout=180, capture_output=True)
        port = services.free_port()
        api = 'http://127.0.0.1:%d' % port

        def ready():
            try:
                return requests.get(api + '/v1/status', auth=('admin', ''),
                                    timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        with services.process([str(GNOCCHI_VENV / 'bin' / 'gnocchi-metricd'),
                               '--config-file', str(config)]), \
                services.process([str(python),
                                  str(services.HERE / 'gnocchi_api.py'),
                                  str(config), str(port)],
                                 ready=ready, timeout=90):
            yield api


@pytest.fixture
def cloud(db, rabbit_url, broker):
    """Sends Nova's, Neutron's or Glance's notifications, each on its
    service's own exchange, and waits until the agent's endpoints (those of
    the cloud's records) took each."""
    conf = services.make_conf()
    transport = rpc.get_transport(conf, url=rabbit_url)
    topic = broker.topic('kca-cloud')
    pool = broker.queue(topic + '-pool')
    context = kcontext.get_admin_context()
    ingestor = ingest.Ingestor(context, 300, db=db)
    listener = rpc.get_batch_listener(
        transport, [topic],
        notifications.endpoints(ingestor, context, db,
                                npu_aliases=['ascend910'])[2:],
        pool=pool,
        # one message per batch, so the samples are applied in the order
        # sent
        batch_size=1, batch_timeout=1,
        exchanges=conf.notification.exchanges)
    listener.start()
    senders = {}
    for exchange in ('nova', 'neutron', 'glance'):
        senders[exchange] = services.exchange_transport(rabbit_url,
                                                        exchange)

    def send(exchange, sample):
        handled = ingestor.stats.messages + ingestor.stats.malformed
        notifier = rpc.get_notifier(senders[exchange], 'x', [topic])
        getattr(notifier.prepare(publisher_id=sample['publisher_id']),
                sample['priority'].lower())(
            {}, sample['event_type'], sample['payload'])
        services.wait_for(
            lambda: (ingestor.stats.messages +
                     ingestor.stats.malformed) > handled,
            20, what=sample['event_type'])

    try:
        yield send, ingestor.stats, context
    finally:
        listener.stop()
        listener.wait()
        for sender in senders.values():
            sender.cleanup()
        transport.cleanup()
