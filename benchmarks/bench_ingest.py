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
"""Ingest benchmark: Ceilometer samples through the real broker into
PostgreSQL rollups, next to oslo.messaging's bare drain rate.

Both phases publish the same notifications (``--samples`` samples,
``--per-message`` per message) to a fresh topic first, then start a batch
listener and time how long it takes to empty the queue:

- bare drain: the endpoint only counts the messages;
- ingest: the agent's Ceilometer endpoint parses, normalises and rolls the
  samples up into a fresh PostgreSQL database, in one transaction per
  batch, with the message ids recorded.

The last line is::

    BENCH ingest samples=<n> samples_per_s=<x> bare_drain_samples_per_s=<y>
    ratio=<x/y>

Needs RabbitMQ and PostgreSQL (``--rabbit-url``, ``--pg-url``: an account
allowed to create databases).
"""

import argparse
import contextlib
import datetime
import sys
import threading
import time
import uuid

from oslo_config import cfg
import oslo_messaging
import sqlalchemy as sa

from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import rpc
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from kcloud_analyzer.metrics_collector import ingest
from kcloud_analyzer.metrics_collector import notifications
from kcloud_analyzer import service

METERS = (('cpu_util', '%'), ('memory.usage', 'MB'), ('power', 'W'),
          ('network.incoming.bytes.rate', 'B/s'),
          ('disk.device.read.bytes.rate', 'B/s'))


def build_payloads(samples, per_message, instances=200):
    """Ceilometer-shaped payloads; every sample is distinct."""
    base = datetime.datetime(2026, 1, 1)
    payloads = []
    for first in range(0, samples, per_message):
        payload = []
        for k in range(first, min(first + per_message, samples)):
            name, unit = METERS[k % len(METERS)]
            instance = 'bench-%04d' % ((k // len(METERS)) % instances)
            step = k // (len(METERS) * instances)
            payload.append({
                'source': 'openstack', 'counter_name': name,
                'counter_type': 'gauge', 'counter_unit': unit,
                'counter_volume': float(k % 97), 'user_id': 'bench',
                'project_id': 'bench', 'resource_id': instance,
                'timestamp': (base + datetime.timedelta(
                    seconds=30 * step)).isoformat(),
                'resource_metadata': {'vcpus': 4, 'memory_mb': 8192,
                                      'flavor': {'name': 'bench.large'}},
                'message_id': str(uuid.uuid4()),
            })
        payloads.append(payload)
    return payloads


class CountingEndpoint:
    """The bare drain: accept every batch, do nothing."""

    filter_rule = oslo_messaging.NotificationFilter(event_type='^metering$')

    def __init__(self):
        self.messages = 0
        self._lock = threading.Lock()

    def sample(self, messages):
        with self._lock:
            self.messages += len(messages)
        return oslo_messaging.NotificationResult.HANDLED


def publish(transport, topic, payloads):
    notifier = rpc.get_notifier(transport, 'bench', [topic])
    for payload in payloads:
        notifier.sample({}, 'metering', payload)


def declare(transport, topic, pool):
    """Create the pool's queue so published messages wait in it."""
    listener = rpc.get_batch_listener(transport, [topic],
                                      [CountingEndpoint()], pool=pool)
    listener.start()
    listener.stop()
    listener.wait()


def drain(transport, topic, pool, endpoint, done, batch_size, timeout):
    listener = rpc.get_batch_listener(transport, [topic], [endpoint],
                                      pool=pool, batch_size=batch_size,
                                      batch_timeout=1)
    started = time.monotonic()
    listener.start()
    try:
        while not done():
            if time.monotonic() - started > timeout:
                raise RuntimeError('the queue was not drained in %ss'
                                   % timeout)
            time.sleep(0.01)
        return time.monotonic() - started
    finally:
        listener.stop()
        listener.wait()


@contextlib.contextmanager
def scratch_database(admin_url):
    name = 'kca_bench_%s' % uuid.uuid4().hex[:10]
    admin = sa.create_engine(admin_url, isolation_level='AUTOCOMMIT')
    with admin.connect() as connection:
        connection.execute(sa.text('CREATE DATABASE %s' % name))
    url = admin_url.rsplit('/', 1)[0] + '/' + name
    try:
        engine = sa.create_engine(url)
        migration.upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(
                'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                'WHERE datname = :name'), {'name': name})
            connection.execute(sa.text('DROP DATABASE IF EXISTS %s' % name))
        admin.dispose()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--samples', type=int, default=1000000)
    parser.add_argument('--per-message', type=int, default=100)
    parser.add_argument('--batch-size', type=int, default=500)
    parser.add_argument('--rabbit-url',
                        default='rabbit://guest:guest@127.0.0.1:5672/')
    parser.add_argument('--pg-url', default=(
        'postgresql+psycopg2://openstack_citest:openstack_citest@'
        '127.0.0.1:5432/openstack_citest'))
    parser.add_argument('--timeout', type=float, default=1800.0)
    args = parser.parse_args(argv)

    conf = cfg.ConfigOpts()
    service.register_all(conf)
    conf([], project='kcloud-analyzer', default_config_files=[])
    transport = rpc.get_transport(conf, url=args.rabbit_url)
    payloads = build_payloads(args.samples, args.per_message)
    messages = len(payloads)
    run = uuid.uuid4().hex[:8]
    pool = 'kca-bench-%s' % run

    bare_topic = 'kca-bench-bare-%s' % run
    declare(transport, bare_topic, pool)
    started = time.monotonic()
    publish(transport, bare_topic, payloads)
    print('published %d messages (%d samples) in %.1fs'
          % (messages, args.samples, time.monotonic() - started))
    counter = CountingEndpoint()
    bare_s = drain(transport, bare_topic, pool, counter,
                   lambda: counter.messages >= messages, args.batch_size,
                   args.timeout)
    bare_rate = args.samples / bare_s
    print('bare drain: %d messages in %.2fs, %.0f samples/s'
          % (counter.messages, bare_s, bare_rate))

    with scratch_database(args.pg_url) as url:
        conf.set_override('connection', url, group='database')
        db_api.configure(conf)
        context = kcontext.get_admin_context()
        ingestor = ingest.Ingestor(context, conf.rollup_window, db=db_api)
        endpoint = notifications.CeilometerEndpoint(ingestor)
        topic = 'kca-bench-ingest-%s' % run
        declare(transport, topic, pool)
        publish(transport, topic, payloads)
        ingest_s = drain(transport, topic, pool, endpoint,
                         lambda: ingestor.stats.samples >= args.samples,
                         args.batch_size, args.timeout)
        stored = sum(r['count'] for r in db_api.rollup_list(context))
        stats = ingestor.stats.snapshot()
    rate = args.samples / ingest_s
    print('ingest: %d messages in %.2fs, %.0f samples/s; %d samples in '
          'rollups; stats %s' % (messages, ingest_s, rate, stored, stats))
    transport.cleanup()
    if stored != args.samples:
        print('ERROR: %d samples stored, %d sent' % (stored, args.samples))
        return 1
    print('BENCH ingest samples=%d samples_per_s=%.0f '
          'bare_drain_samples_per_s=%.0f ratio=%.3f'
          % (args.samples, rate, bare_rate, rate / bare_rate))
    return 0


if __name__ == '__main__':
    sys.exit(main())
