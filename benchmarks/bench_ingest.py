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
  batch, with the message ids recorded; the store is connected before
  the listener starts, as the agent connects it while its listeners
  start.

The publisher's copy of the notifications is dropped before the listener
starts (it is not the listener's to keep, and the garbage collector's
full passes over it slowed both sides). The ingest side sets up its
garbage collector as the agent does before its listeners start
(``utils.tune_garbage_collection``); the bare drain keeps Python's
defaults unless ``--tune-bare-gc`` is given.

Each phase runs ``--runs`` times, in pairs (one bare drain, one ingest,
the bare drain first in even pairs and last in odd ones), each in a
process of its own (so each side's peak RSS is its own); the figures are
the median with the spread (min-max), and the ratio is the median of the
pairs' ratios; the CPU time of each side's process while it drains is
printed too. The queues the run declared are deleted at the end,
also when it is interrupted (Ctrl-C or SIGTERM). The last line is::

    BENCH ingest samples=<n> runs=<r> samples_per_s=<x>
    bare_drain_samples_per_s=<y> ratio=<median x/y> ratio_min=<a>
    ratio_max=<b> peak_rss_mb=<m> bare_peak_rss_mb=<m>

With ``--in-process N`` no broker is involved: the endpoint is called
directly on N batches of the same notifications (after one small warm-up
batch), one batch of ``--samples`` samples each, storing into a scratch
PostgreSQL database; the wall and CPU (process) time of each batch are
printed, and with ``--profile`` where the CPU time of the last one went
(cProfile, process time).

Needs RabbitMQ and PostgreSQL (``--rabbit-url``, ``--pg-url``: an account
allowed to create databases).
"""

import argparse
import contextlib
import cProfile
import datetime
import multiprocessing
import pstats
import signal
import statistics
import sys
import threading
import time
import uuid

import kombu

from oslo_config import cfg
import oslo_messaging
import sqlalchemy as sa

from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import rpc
from kcloud_analyzer.common import utils
from kcloud_analyzer.conf import notification as notification_opts
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
    started, cpu = time.monotonic(), time.process_time()
    listener.start()
    try:
        while not done():
            if time.monotonic() - started > timeout:
                raise RuntimeError('the queue was not drained in %ss'
                                   % timeout)
            time.sleep(0.01)
        return time.monotonic() - started, time.process_time() - cpu
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


def proc_mb(pid, *fields, name='status'):
    """``{field: MB}`` of the kB fields of ``/proc/<pid>/<name>`` (VmRSS,
    VmHWM of ``status``; Pss of ``smaps_rollup``); NaN for a field once
    the process is gone."""
    found = dict.fromkeys(fields, float('nan'))
    try:
        with open('/proc/%s/%s' % (pid, name)) as stream:
            for line in stream:
                field = line.split(':', 1)[0]
                if field in found:
                    found[field] = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return found


def peak_rss_mb(pid='self'):
    """The peak resident set size (VmHWM) of process ``pid`` (this one by
    default), in MB; NaN once it is gone. Not ``ru_maxrss``: Linux keeps
    the parent's peak in a child's across exec."""
    return proc_mb(pid, 'VmHWM')['VmHWM']


def make_transport(rabbit_url, exchange, batch_size=None, prefetch=None):
    """A transport with the service's defaults (durable queues, a prefetch
    of two batches of ``batch_size``) on an exchange of the run's own: the
    broker refuses to declare an existing exchange again with another
    durability."""
    oslo_messaging.set_transport_defaults(control_exchange=exchange)
    conf = cfg.ConfigOpts()
    service.register_all(conf)
    conf([], project='kcloud-analyzer', default_config_files=[])
    if batch_size:
        conf.set_override('batch_size', batch_size, group='notification')
    if prefetch is not None:
        conf.set_override('rabbit_qos_prefetch_count', prefetch,
                          group=rpc.RABBIT_GROUP)
    return conf, rpc.get_transport(conf, url=rabbit_url)


def bare_phase(args, topic, pool, results):
    """One bare drain, in a process of its own so its peak memory is its
    own."""
    conf, transport = make_transport(args.rabbit_url, pool, args.batch_size,
                                     args.prefetch)
    payloads = build_payloads(args.samples, args.per_message)
    declare(transport, topic, pool)
    publish(transport, topic, payloads)
    # what the publisher sent is not the listener's to keep
    messages = len(payloads)
    del payloads
    if args.tune_bare_gc:
        utils.tune_garbage_collection()
    counter = CountingEndpoint()
    seconds, cpu = drain(transport, topic, pool, counter,
                         lambda: counter.messages >= messages,
                         args.batch_size, args.timeout)
    transport.cleanup()
    results.put({'rate': args.samples / seconds, 'cpu_s': cpu,
                 'rss_mb': peak_rss_mb()})


def ingest_phase(args, topic, pool, results):
    """One ingest into a scratch PostgreSQL database, in a process of its
    own."""
    conf, transport = make_transport(args.rabbit_url, pool, args.batch_size,
                                     args.prefetch)
    payloads = build_payloads(args.samples, args.per_message)
    with scratch_database(args.pg_url) as url:
        conf.set_override('connection', url, group='database')
        db_api.configure(conf)
        context = kcontext.get_admin_context()
        ingestor = ingest.Ingestor(context, conf.rollup_window, db=db_api)
        # connected before the listener starts, as the agent does
        ingestor.prepare()
        endpoint = notifications.CeilometerEndpoint(ingestor)
        declare(transport, topic, pool)
        publish(transport, topic, payloads)
        # what the publisher sent is not the listener's to keep
        del payloads
        # as the agent does before its listeners start
        utils.tune_garbage_collection()
        seconds, cpu = drain(transport, topic, pool, endpoint,
                             lambda: ingestor.stats.samples >= args.samples,
                             args.batch_size, args.timeout)
        stored = sum(r['count'] for r in db_api.rollup_list(context))
        db_api.get_engine().dispose()
    transport.cleanup()
    results.put({'rate': args.samples / seconds, 'cpu_s': cpu,
                 'rss_mb': peak_rss_mb(), 'stored': stored})


def as_notifications(payloads):
    """The payloads as oslo.messaging hands them to a batch endpoint."""
    now = str(datetime.datetime.now(datetime.timezone.utc))
    return [{'ctxt': {}, 'publisher_id': 'bench', 'event_type': 'metering',
             'payload': payload,
             'metadata': {'message_id': str(uuid.uuid4()), 'timestamp': now}}
            for payload in payloads]


def in_process(args):
    """The endpoint called directly, batch after batch (no broker)."""
    conf, transport = make_transport(args.rabbit_url, 'kca-bench-unused')
    transport.cleanup()
    with scratch_database(args.pg_url) as url:
        conf.set_override('connection', url, group='database')
        db_api.configure(conf)
        context = kcontext.get_admin_context()

        def endpoint():
            return notifications.CeilometerEndpoint(ingest.Ingestor(
                context, conf.rollup_window, db=db_api))
        endpoint().sample(as_notifications(build_payloads(500, 100)))
        walls, cpus = [], []
        for number in range(args.in_process):
            handler = endpoint()
            batch = as_notifications(build_payloads(args.samples,
                                                    args.per_message))
            profiler = cProfile.Profile(time.process_time)
            if args.profile:
                profiler.enable()
            wall, cpu = time.perf_counter(), time.process_time()
            handler.sample(batch)
            wall = time.perf_counter() - wall
            cpu = time.process_time() - cpu
            profiler.disable()
            if handler.stats.samples != args.samples:
                raise RuntimeError('%d samples stored of %d' % (
                    handler.stats.samples, args.samples))
            walls.append(wall)
            cpus.append(cpu)
            print('batch %d: wall %.3f s, CPU %.3f s, %.0f samples/s' % (
                number, wall, cpu, args.samples / wall), flush=True)
        db_api.get_engine().dispose()
    if args.profile:
        pstats.Stats(profiler).sort_stats('cumulative').print_stats(40)
    print('BENCH ingest_in_process samples=%d batches=%d wall_s=%.3f '
          'wall_min=%.3f wall_max=%.3f cpu_s=%.3f cpu_min=%.3f cpu_max=%.3f '
          'peak_rss_mb=%.0f' % (
              args.samples, args.in_process, statistics.median(walls),
              min(walls), max(walls), statistics.median(cpus), min(cpus),
              max(cpus), peak_rss_mb()))
    return 0


def run_phase(target, args, topic, pool):
    context = multiprocessing.get_context('spawn')
    results = context.Queue()
    process = context.Process(target=target,
                              args=(args, topic, pool, results))
    process.start()
    try:
        result = results.get(timeout=args.timeout + 120)
    finally:
        process.join(timeout=60)
        if process.is_alive():
            process.kill()
    return result


def delete_queues(rabbit_url, names, exchanges=()):
    """Remove the benchmark's queues and exchanges: the notifier declares
    ``<topic>.sample`` and would keep a copy of every message."""
    url = rabbit_url.replace('rabbit://', 'amqp://', 1)
    with kombu.Connection(url) as connection:
        channel = connection.channel()
        for kind, name in ([('queue', n) for n in names] +
                           [('exchange', n) for n in exchanges]):
            try:
                if kind == 'queue':
                    channel.queue_delete(name)
                else:
                    channel.exchange_delete(name)
            except Exception as error:  # noqa: BLE001 - report and go on
                print('could not delete %s %s: %s' % (kind, name, error))
                channel = connection.channel()


def spread(values, form='%.0f'):
    return (form + ' (' + form + '-' + form + ')') % (
        statistics.median(values), min(values), max(values))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--samples', type=int, default=300000)
    parser.add_argument('--per-message', type=int, default=100)
    parser.add_argument('--batch-size', type=int,
                        default=notification_opts.DEFAULT_BATCH_SIZE,
                        help='[notification] batch_size of both sides '
                             '(default: the agent\'s)')
    parser.add_argument('--prefetch', type=int, metavar='N',
                        help='[oslo_messaging_rabbit] '
                             'rabbit_qos_prefetch_count of both sides (0: '
                             'no bound); by default the agent\'s, two '
                             'batches')
    parser.add_argument('--tune-bare-gc', action='store_true',
                        help='set up the bare drain\'s garbage collector '
                             'as the agent sets up its own (by default it '
                             'keeps Python\'s defaults)')
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--rabbit-url',
                        default='rabbit://guest:guest@127.0.0.1:5672/')
    parser.add_argument('--pg-url', default=(
        'postgresql+psycopg2://openstack_citest:openstack_citest@'
        '127.0.0.1:5432/openstack_citest'))
    parser.add_argument('--timeout', type=float, default=1800.0)
    parser.add_argument('--in-process', type=int, default=0, metavar='N',
                        help='call the endpoint directly on N batches')
    parser.add_argument('--profile', action='store_true',
                        help='with --in-process: profile the last batch')
    args = parser.parse_args(argv)
    if args.in_process:
        return in_process(args)

    # SIGTERM unwinds like Ctrl-C, so the queues are removed either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run = uuid.uuid4().hex[:8]
    pool = 'kca-bench-%s' % run
    queues = [pool]
    bare, ingested = [], []
    try:
        for number in range(args.runs):
            bare_topic = 'kca-bench-bare-%s-%d' % (run, number)
            ingest_topic = 'kca-bench-ingest-%s-%d' % (run, number)
            queues += [bare_topic + '.sample', ingest_topic + '.sample']
            # each pair runs the other side first every other time, so
            # that a machine growing busier or quieter does not favour one
            phases = [('bare drain', bare_phase, bare_topic, bare),
                      ('ingest', ingest_phase, ingest_topic, ingested)]
            for name, phase, topic, results in (
                    phases if number % 2 == 0 else phases[::-1]):
                results.append(run_phase(phase, args, topic, pool))
                print('run %d %s: %.0f samples/s, %.2f s of CPU, peak '
                      'RSS %.0f MB%s' % (
                          number, name, results[-1]['rate'],
                          results[-1]['cpu_s'], results[-1]['rss_mb'],
                          ', %d samples in rollups' % results[-1]['stored']
                          if 'stored' in results[-1] else ''), flush=True)
    finally:
        delete_queues(args.rabbit_url, queues, [pool])
    lost = [r['stored'] for r in ingested if r['stored'] != args.samples]
    if lost:
        print('ERROR: %s samples stored, %d sent' % (lost, args.samples))
        return 1
    ratios = [i['rate'] / b['rate']
              for i, b in zip(ingested, bare, strict=True)]
    print('samples/s median (min-max) of %d runs: ingest %s, bare drain %s'
          % (args.runs, spread([r['rate'] for r in ingested]),
             spread([r['rate'] for r in bare])))
    print('CPU s median (min-max): ingest %s, bare drain %s' % (
        spread([r['cpu_s'] for r in ingested], '%.2f'),
        spread([r['cpu_s'] for r in bare], '%.2f')))
    print('BENCH ingest samples=%d runs=%d samples_per_s=%.0f '
          'bare_drain_samples_per_s=%.0f ratio=%.3f ratio_min=%.3f '
          'ratio_max=%.3f peak_rss_mb=%.0f bare_peak_rss_mb=%.0f'
          % (args.samples, args.runs,
             statistics.median(r['rate'] for r in ingested),
             statistics.median(r['rate'] for r in bare),
             statistics.median(ratios), min(ratios), max(ratios),
             max(r['rss_mb'] for r in ingested),
             max(r['rss_mb'] for r in bare)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
