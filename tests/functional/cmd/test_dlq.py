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
"""``kcloud-analyzer-manage dlq list|replay`` on the real RabbitMQ and
PostgreSQL: notifications the store refused (a check constraint added to
the rollups table by mistake) are dead-lettered, listed, and replayed once
the constraint is gone; each sample is then stored once."""

import datetime
import json
import pathlib
import subprocess
import sys
import time
import uuid

import kombu
import sqlalchemy as sa

from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import rpc
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.metrics_collector import deadletter
from kcloud_analyzer.metrics_collector import ingest
from kcloud_analyzer.metrics_collector import notifications
from tests.functional.collector import services

BIN = pathlib.Path(sys.executable).parent
NOTIFICATIONS = 5
SAMPLES = 4


def _manage(config, *args):
    result = subprocess.run(
        [str(BIN / 'kcloud-analyzer-manage'), '--config-file', str(config),
         'dlq', *args], capture_output=True, text=True, timeout=120,
        check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _ddl(url, statement):
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(statement))
    engine.dispose()


def _depth(amqp_url, queue):
    """Messages on ``queue``; 0 while nothing declared it."""
    with kombu.Connection(amqp_url, connect_timeout=5) as connection:
        try:
            _, count, _ = connection.channel().queue_declare(queue,
                                                             passive=True)
        except connection.channel_errors:
            return 0
        return count


def _sample(workload, when):
    return {'counter_name': 'power', 'counter_type': 'gauge',
            'counter_unit': 'W', 'counter_volume': 250.0,
            'resource_id': workload, 'project_id': 'p', 'user_id': 'u',
            'timestamp': when.isoformat(), 'resource_metadata': {},
            'message_id': str(uuid.uuid4())}


def test_refused_notifications_replayed_after_the_fix_are_stored_once(
        tmp_path):
    suffix = uuid.uuid4().hex[:10]
    topic = 'kca-dlq-%s' % suffix
    pool = 'kca-dlq-pool-%s' % suffix
    exchange = 'kca-dlq-exchange-%s' % suffix
    queue = rpc.pool_queue(pool, topic)
    amqp_url = services.RABBIT_URL.replace('rabbit://', 'amqp://', 1)
    services.require_port('127.0.0.1', 5672, 'RabbitMQ')
    context = kcontext.get_admin_context()
    workload = 'dlq-%s' % suffix
    base = datetime.datetime(2026, 3, 4, 10, 0, 0)
    with services.postgresql_database() as url:
        conf = services.make_conf({
            (None, 'transport_url'): services.RABBIT_URL,
            (None, 'control_exchange'): exchange,
            ('database', 'connection'): url,
            ('notification', 'exchanges'): [exchange],
            ('notification', 'topics'): [topic],
            ('notification', 'pool'): pool,
        })
        services.configure_db(url)
        config = tmp_path / 'kcloud-analyzer.conf'
        config.write_text(
            '[DEFAULT]\ntransport_url = %s\ncontrol_exchange = %s\n'
            'use_stderr = true\n[database]\nconnection = %s\n'
            '[notification]\ntopics = %s\npool = %s\nexchanges = %s\n'
            '[oslo_messaging_rabbit]\namqp_durable_queues = false\n'
            % (services.RABBIT_URL, exchange, url, topic, pool, exchange))
        transport = rpc.get_transport(conf)
        letters = deadletter.DeadLetters(
            conf, deadletter.broker_url(conf), topic)
        ingestor = ingest.Ingestor(context, 300, db=db_api)
        listener = rpc.get_listeners(
            conf, transport, lambda t: notifications.endpoints(
                ingestor, context, db_api, dead_letters=letters))[0]
        listener.start()
        notifier = rpc.get_notifier(transport, 'functional', [topic])
        try:
            # the cause: a constraint that refuses this workload's rows
            _ddl(url, "ALTER TABLE usage_rollups ADD CONSTRAINT "
                 "kca_refuse CHECK (workload_id <> '%s')" % workload)
            for n in range(NOTIFICATIONS):
                notifier.sample({}, 'metering', [
                    _sample(workload, base + datetime.timedelta(
                        minutes=n, seconds=s)) for s in range(SAMPLES)])
            services.wait_for(
                lambda: _depth(amqp_url, deadletter.queue_name(topic)) ==
                NOTIFICATIONS, 60, interval=0.5,
                what='every notification dead-lettered')
            assert db_api.rollup_list(context, workload_id=workload) == []

            listed = json.loads(_manage(config, 'list', '--format', 'json'))
            assert len(listed) == NOTIFICATIONS
            assert {row['topic'] for row in listed} == {topic}
            assert all('kca_refuse' in row['reason']
                       for row in listed), listed
            # listing leaves them on the queue
            assert _depth(amqp_url, deadletter.queue_name(topic)) == \
                NOTIFICATIONS

            # the fix, then the replay
            _ddl(url, 'ALTER TABLE usage_rollups DROP CONSTRAINT kca_refuse')
            out = _manage(config, 'replay')
            assert '%d dead letters replayed' % NOTIFICATIONS in out

            def stored():
                return sum(row['count'] for row in db_api.rollup_list(
                    context, workload_id=workload))
            services.wait_for(lambda: stored() >= NOTIFICATIONS * SAMPLES,
                              60, interval=0.5, what='the replayed samples')
            assert _depth(amqp_url, deadletter.queue_name(topic)) == 0
            # a second replay finds nothing; nothing is counted twice
            assert '0 dead letters replayed' in _manage(config, 'replay')
            time.sleep(3)
            assert stored() == NOTIFICATIONS * SAMPLES
            rows = db_api.rollup_list(context, workload_id=workload)
            assert {(r['window_start'], r['count']) for r in rows} == {
                (base.replace(minute=0), SAMPLES * NOTIFICATIONS)}
        finally:
            listener.stop()
            listener.wait()
            letters.close()
            transport.cleanup()
            with kombu.Connection(amqp_url) as connection:
                channel = connection.channel()
                # the notifier's own queue of the topic too
                for name in (queue, deadletter.queue_name(topic),
                             '%s.sample' % topic):
                    channel.queue_delete(name)
                channel.exchange_delete(exchange)
