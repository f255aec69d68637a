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
"""API load benchmark: cost lookups and summaries on PostgreSQL, next to a
bare Pecan "hello" app measured in the same run.

The store holds ``--workloads`` workloads (10,000) with ``--days`` (90) of
hourly cost records each (21.6 million rows); it is generated inside
PostgreSQL and dropped at the end (``--keep-store`` keeps it for the
next run). The API runs in processes of its
own (``kcloud-analyzer-api``'s server with ``--workers`` processes, noauth,
Redis-backed summary cache), as does the bare app. The load generator is
``wrk`` (``--client wrk``, the default when it is on the PATH: a C client
whose own CPU does not crowd the two servers on a small machine) or this
process (``--client python``: ``--concurrency`` threads on keep-alive
connections); either keeps ``--concurrency`` requests in flight for
``--seconds`` per scenario, ``--runs`` times, and the median and range of
the runs are reported with the CPU time of the servers and of the client
per request and their peak RSS.

Each summary is first answered ``--uncached`` times with the cache
emptied before each answer (one request in flight): the first answer and
the median are reported. ``--profile N`` does not start the servers: it
calls the application in this process N times a scenario and reports its
CPU time per request and a cProfile listing.

The last line is::

    BENCH api p50_ms=<a> p99_ms=<b> rps=<c> bare_rps=<d>

for ``GET /api/v1/cost/{workload_id}`` on random workloads (medians of
the runs). Needs PostgreSQL (``--pg-url``: an account allowed to create
databases) and Redis (``--redis``).
"""

import argparse
import cProfile
import http.client
import io
import json
import os
import pstats
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import psutil
import sqlalchemy as sa
from sqlalchemy import orm

import bench_ingest
from kcloud_analyzer.db.api import totals
from kcloud_analyzer.db import migration

HOUR_START = '2026-01-01 00:00:00'

CONFIG = """[DEFAULT]
state_path = {state}
[api]
host = 127.0.0.1
port = {port}
auth_strategy = noauth
server_threads = {threads}
workers = {workers}
[database]
connection = {url}
max_pool_size = {threads}
[cache]
enabled = true
backend = dogpile.cache.redis
redis_server = {redis}
expiration_time = 600
"""

BARE_APP = """import sys
from cheroot import wsgi
import pecan


class Root:
    @pecan.expose('json')
    def index(self):
        return {'hello': 'world'}


server = wsgi.Server(('127.0.0.1', int(sys.argv[1])),
                     pecan.make_app(Root()), numthreads=int(sys.argv[2]),
                     reuse_port=True)
server.start()
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def ensure_store(admin_url, name, workloads, days):
    """Create and fill the benchmark database unless already filled."""
    admin = sa.create_engine(admin_url, isolation_level='AUTOCOMMIT')
    with admin.connect() as connection:
        exists = connection.execute(sa.text(
            'SELECT 1 FROM pg_database WHERE datname = :n'),
            {'n': name}).scalar()
        if not exists:
            connection.execute(sa.text('CREATE DATABASE %s' % name))
    admin.dispose()
    url = admin_url.rsplit('/', 1)[0] + '/' + name
    engine = sa.create_engine(url)
    migration.upgrade(engine)
    hours = days * 24
    with engine.begin() as connection:
        have = connection.execute(sa.text(
            "SELECT count(*) FROM workloads WHERE workload_id LIKE 'bench-%'"
        )).scalar()
        rows = connection.execute(sa.text(
            'SELECT count(*) FROM cost_records WHERE workload_id = '
            "'bench-00000'")).scalar()
        summed = connection.execute(sa.text(
            "SELECT sum(hours) FROM cost_totals WHERE scope = 'workload' "
            "AND scope_id = 'bench-00000' AND period = 'month'")).scalar()
    if have == workloads and rows == hours and summed == hours:
        print('Store %s already holds %d workloads x %d hours'
              % (name, workloads, hours), flush=True)
        return url
    print('Filling %s: %d workloads x %d hourly cost records...'
          % (name, workloads, hours), flush=True)
    started = time.monotonic()
    with engine.begin() as connection:
        connection.execute(sa.text(
            'TRUNCATE workloads, cost_records, cost_totals'))
        connection.execute(sa.text("""
            INSERT INTO workloads (workload_id, name, project_id, status,
                declared_type, classified_type, confidence, resources,
                accelerator, created_at)
            SELECT 'bench-' || lpad(i::text, 5, '0'), NULL,
                   'project-' || lpad((i % 100)::text, 3, '0'), 'active',
                   (ARRAY['training', 'inference', 'serving'])[i % 3 + 1],
                   NULL, NULL,
                   json_build_object('cpu_cores', 8, 'memory_gb', 64,
                                     'gpu_count', i % 4 + 1),
                   (ARRAY['A100', 'H100', 'L40S'])[i % 3 + 1], now()
            FROM generate_series(0, :n - 1) AS i"""), {'n': workloads})
    chunk = 500
    for first in range(0, workloads, chunk):
        with engine.begin() as connection:
            connection.execute(sa.text("""
                INSERT INTO cost_records (workload_id, project_id, hour,
                    basis, currency, workload_type, accelerator, compute,
                    gpu, npu, storage, network, energy, idle, total,
                    energy_kwh, carbon_kg, created_at)
                SELECT w.workload_id, w.project_id, h, 'allocation', 'USD',
                       w.declared_type, w.accelerator, 0.52, g, 0, 0.01,
                       0.02, 0.3, g * 0.2, 0.85 + g, 2.0, 0.8, now()
                FROM (SELECT workload_id, project_id, declared_type,
                             accelerator,
                             ((resources->>'gpu_count')::int * 2.2)
                                 ::numeric AS g
                      FROM workloads ORDER BY workload_id
                      OFFSET :first LIMIT :chunk) AS w
                CROSS JOIN generate_series(
                    TIMESTAMP '%s', TIMESTAMP '%s' + (:hours - 1) *
                    INTERVAL '1 hour', INTERVAL '1 hour') AS h""" % (
                HOUR_START, HOUR_START)),
                {'first': first, 'chunk': chunk, 'hours': hours})
        print('  %d/%d workloads (%.0f s)' % (
            min(first + chunk, workloads), workloads,
            time.monotonic() - started), flush=True)
    print('Computing the daily and monthly totals...', flush=True)
    with orm.Session(engine) as session, session.begin():
        totals.rebuild(session)
    for table in ('cost_records', 'cost_totals'):
        with engine.connect() as connection:
            connection.execution_options(
                isolation_level='AUTOCOMMIT').execute(
                    sa.text('VACUUM ANALYZE %s' % table))
    print('Filled in %.0f s' % (time.monotonic() - started), flush=True)
    engine.dispose()
    return url


def drop_store(admin_url, name):
    admin = sa.create_engine(admin_url, isolation_level='AUTOCOMMIT')
    with admin.connect() as connection:
        connection.execute(sa.text(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
            'WHERE datname = :name'), {'name': name})
        connection.execute(sa.text('DROP DATABASE IF EXISTS %s' % name))
    admin.dispose()


def wait_for(port, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError('nothing listens on port %d' % port)


WRK_SCRIPT = """
local paths = {%s}
math.randomseed(%d)
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  io.stderr:write(string.format(
    "WRK %%d %%d %%d %%d %%d %%d %%d %%.3f %%.3f\\n", summary.requests,
    summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50) / 1000.0, latency:percentile(99) / 1000.0))
end
"""


def load_wrk(port, paths, concurrency, seconds, state):
    """Closed-loop load from wrk over ``paths`` (a list, picked at random):
    (p50 ms, p99 ms, requests per second, requests)."""
    script = os.path.join(state, 'load.lua')
    with open(script, 'w') as stream:
        stream.write(WRK_SCRIPT % (
            ', '.join('"%s"' % path for path in paths),
            random.randrange(1 << 30)))
    done = subprocess.run(
        ['wrk', '-t', str(min(2, concurrency)), '-c', str(concurrency),
         '-d', '%ds' % max(1, round(seconds)), '--timeout', '30s',
         '-s', script, 'http://127.0.0.1:%d' % port],
        capture_output=True, text=True, check=True)
    line = [x for x in done.stderr.splitlines() if x.startswith('WRK ')][-1]
    requests, duration, status, connect, read, write, timeout, p50, p99 = \
        line.split()[1:]
    if int(status) or int(connect) or int(write) or int(timeout):
        raise RuntimeError(
            'failed requests: %s answers not 2xx or 3xx, %s connect, %s '
            'write, %s timeouts' % (status, connect, write, timeout))
    if int(read):
        print('  (wrk: %s read errors)' % read, flush=True)
    return (float(p50), float(p99),
            int(requests) / (int(duration) / 1e6), int(requests))


def load(port, paths, concurrency, seconds):
    """Closed-loop load: (sorted latencies in ms, requests per second)."""
    latencies = [[] for _ in range(concurrency)]
    errors = []
    stop = time.monotonic() + seconds

    def worker(index):
        rng = random.Random(index)
        connection = http.client.HTTPConnection('127.0.0.1', port,
                                                timeout=30)
        mine = latencies[index]
        while time.monotonic() < stop:
            path = paths(rng)
            started = time.perf_counter()
            connection.request('GET', path)
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000.0)
            if response.status != 200:
                errors.append((path, response.status))
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,))
               for i in range(concurrency)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    if errors:
        raise RuntimeError('%d failed requests, first %s'
                           % (len(errors), errors[0]))
    merged = sorted(x for per in latencies for x in per)
    return merged, len(merged) / elapsed


def percentile(values, share):
    return values[min(len(values) - 1, int(share * len(values)))]


def cpu_seconds(processes):
    """User and system CPU seconds of ``processes`` and their children."""
    total = 0.0
    for process in processes:
        try:
            family = [process] + process.children(recursive=True)
            for member in family:
                times = member.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def peak_rss_mb(processes):
    """The largest peak RSS (VmHWM) among ``processes`` and their
    children, in MB."""
    peaks = [bench_ingest.peak_rss_mb(member.pid)
             for process in processes
             for member in [process] + process.children(recursive=True)]
    return max((p for p in peaks if p == p), default=0.0)


def client_cpu_seconds():
    """CPU seconds of this process and of its waited-for children (wrk)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _interrupted(signum, frame):
    raise KeyboardInterrupt()


def profile_in_process(config, scenarios, count, top):
    """The API application called in this process, without an HTTP
    server: its CPU time per request (``time.process_time``, the database
    server's own work not included) and, in a second pass, where it goes
    (cProfile, ``top`` functions by own time)."""
    from kcloud_analyzer.api import app as api_app
    from kcloud_analyzer.db import api as db_api
    from kcloud_analyzer import service

    conf = service.prepare_service(['--config-file', config],
                                   default_config_files=[])
    db_api.configure(conf)
    application = api_app.setup_app(conf)

    def call(path):
        path, _, query = path.partition('?')
        environ = {
            'REQUEST_METHOD': 'GET', 'PATH_INFO': path,
            'QUERY_STRING': query, 'SCRIPT_NAME': '',
            'SERVER_NAME': '127.0.0.1', 'SERVER_PORT': '80',
            'SERVER_PROTOCOL': 'HTTP/1.1', 'REMOTE_ADDR': '127.0.0.1',
            'wsgi.url_scheme': 'http', 'wsgi.input': io.BytesIO(),
            'wsgi.errors': sys.stderr, 'wsgi.version': (1, 0),
            'wsgi.multithread': True, 'wsgi.multiprocess': False,
            'wsgi.run_once': False}
        status = []
        body = b''.join(application(
            environ, lambda line, headers, exc_info=None:
            status.append(line)))
        if not status[0].startswith('200'):
            raise RuntimeError('%s: %s %s' % (path, status[0], body[:200]))

    for name, paths in scenarios:
        rng = random.Random(1)
        for _ in range(20):
            call(rng.choice(paths))
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(count):
            call(rng.choice(paths))
        cpu = (time.process_time() - cpu) / count * 1000.0
        wall = (time.perf_counter() - wall) / count * 1000.0
        print('PROFILE %-32s requests=%d cpu_ms_per_request=%.2f '
              'wall_ms_per_request=%.2f' % (name, count, cpu, wall),
              flush=True)
        if top:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(count):
                call(rng.choice(paths))
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(
                'tottime').print_stats(top)
            print(out.getvalue(), flush=True)


class Scenario:
    """Runs one scenario ``runs`` times and reports the median and the
    range of its figures, with the CPU time per request of the servers
    and of the client."""

    def __init__(self, name, args, port, servers, paths, state):
        self.name, self.args, self.port = name, args, port
        self.servers, self.paths, self.state = servers, paths, state
        self.runs = []

    def once(self, seconds=None):
        seconds = seconds or self.args.seconds
        servers, client = cpu_seconds(self.servers), client_cpu_seconds()
        if self.args.client == 'wrk':
            p50, p99, rps, count = load_wrk(
                self.port, self.paths, self.args.concurrency, seconds,
                self.state)
        else:
            latencies, rps = load(
                self.port, lambda rng: rng.choice(self.paths),
                self.args.concurrency, seconds)
            p50 = percentile(latencies, 0.50)
            p99 = percentile(latencies, 0.99)
            count = len(latencies)
        servers = (cpu_seconds(self.servers) - servers) / count * 1000.0
        client = (client_cpu_seconds() - client) / count * 1000.0
        self.runs.append((p50, p99, rps, servers, client))
        print('  %-32s n=%7d  p50=%7.2f ms  p99=%7.2f ms  rps=%7.1f  '
              'server_cpu=%.2f ms/req  client_cpu=%.2f ms/req'
              % (self.name, count, p50, p99, rps, servers, client),
              flush=True)

    def median(self, index):
        return statistics.median(run[index] for run in self.runs)

    def report(self):
        def spread(index):
            values = [run[index] for run in self.runs]
            return '%7.2f (%.2f-%.2f)' % (
                statistics.median(values), min(values), max(values))
        print('%-34s p50=%s ms  p99=%s ms  rps=%s  server_cpu=%s ms/req  '
              'client_cpu=%s ms/req  server_peak_rss=%.0f MB'
              % (self.name, spread(0), spread(1), spread(2), spread(3),
                 spread(4), peak_rss_mb(self.servers)), flush=True)


#: the PostgreSQL server (and a database on it) the benchmarks make their
#: own databases on
PG_URL = os.environ.get(
    'KCLOUD_BENCH_PG_URL', 'postgresql+psycopg2://openstack_citest:'
    'openstack_citest@127.0.0.1/openstack_citest')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--pg-url', default=PG_URL)
    parser.add_argument('--database', default='kcloud_bench_api')
    parser.add_argument('--redis', default='127.0.0.1:6379')
    parser.add_argument('--workloads', type=int, default=10000)
    parser.add_argument('--days', type=int, default=90)
    parser.add_argument('--concurrency', type=int, default=8)
    parser.add_argument('--threads', type=int, default=16,
                        help='server threads per process')
    parser.add_argument('--workers', type=int, default=2,
                        help='server processes, for the API and the bare '
                             'app alike')
    parser.add_argument('--seconds', type=float, default=20.0)
    parser.add_argument('--runs', type=int, default=3,
                        help='measurements of each scenario')
    parser.add_argument('--client', choices=('wrk', 'python'),
                        default='wrk' if shutil.which('wrk') else 'python',
                        help='load generator (wrk when on the PATH)')
    parser.add_argument('--keep-store', action='store_true',
                        help='keep the filled database for the next run '
                             '(filling 10,000 x 90 days takes tens of '
                             'minutes); dropped at the end otherwise, '
                             'also when interrupted')
    parser.add_argument('--uncached', type=int, default=10,
                        help='answers of each summary timed with the '
                             'cache emptied before each (one in flight)')
    parser.add_argument('--profile', type=int, default=0, metavar='N',
                        help='instead of the load, call the application '
                             'in this process N times a scenario and '
                             'report its CPU time per request')
    parser.add_argument('--profile-top', type=int, default=25,
                        help='functions listed by the profile (0: none)')
    args = parser.parse_args(argv)

    # A terminated run cleans up as an interrupted one does.
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGHUP, _interrupted)
    ids = ['bench-%05d' % i for i in range(args.workloads)]
    window = 'start=2026-03-01T00:00:00Z&end=2026-03-08T00:00:00Z'
    summary_paths = [
        '/api/v1/cost?group_by=%s&period=day&%s' % (group, window)
        for group in ('project', 'type', 'accelerator')]
    processes = []
    with tempfile.TemporaryDirectory(prefix='bench-api-') as state:
        try:
            url = ensure_store(args.pg_url, args.database, args.workloads,
                               args.days)
            if args.profile:
                config = os.path.join(state, 'kcloud-analyzer.conf')
                with open(config, 'w') as stream:
                    stream.write(CONFIG.format(
                        state=state, port=free_port(), threads=args.threads,
                        workers=1, url=url, redis=args.redis))
                profile_in_process(config, [
                    ('GET /api/v1/cost/{id}',
                     ['/api/v1/cost/' + workload for workload in ids]),
                    ('GET /api/v1/cost (cached)', summary_paths),
                ], args.profile, args.profile_top)
                return 0
            bare_port = free_port()
            bare_script = os.path.join(state, 'bare.py')
            with open(bare_script, 'w') as stream:
                stream.write(BARE_APP)
            for _ in range(args.workers):
                processes.append(subprocess.Popen(
                    [sys.executable, bare_script, str(bare_port),
                     str(args.threads)]))
            api_port = free_port()
            config = os.path.join(state, 'kcloud-analyzer.conf')
            with open(config, 'w') as stream:
                stream.write(CONFIG.format(
                    state=state, port=api_port, threads=args.threads,
                    workers=args.workers, url=url, redis=args.redis))
            processes.append(subprocess.Popen(
                [sys.executable, '-m', 'kcloud_analyzer.cmd.api',
                 '--config-file', config], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL))
            wait_for(bare_port)
            wait_for(api_port)

            bare_servers = [psutil.Process(p.pid) for p in processes[:-1]]
            api_servers = [psutil.Process(processes[-1].pid)]
            print('load average before: %s' % open('/proc/loadavg').read()
                  .strip(), flush=True)
            bare = Scenario('bare pecan hello', args, bare_port,
                            bare_servers, ['/'], state)
            lookup = Scenario(
                'GET /api/v1/cost/{id}', args, api_port, api_servers,
                ['/api/v1/cost/' + workload for workload in ids], state)
            # Warm both (connections, caches) before measuring.
            bare.once(2)
            lookup.once(3)
            bare.runs, lookup.runs = [], []

            summary = Scenario('GET /api/v1/cost (cached)', args, api_port,
                               api_servers, summary_paths, state)
            # Entries of an earlier run may still be in Redis: replace the
            # cost generation as a writer does, then time the uncached
            # answers.
            from kcloud_analyzer.api import cache
            from kcloud_analyzer import service
            cache_conf = service.prepare_service(
                ['--config-file', config], default_config_files=[])
            connection = http.client.HTTPConnection('127.0.0.1', api_port,
                                                    timeout=600)
            uncached = {path: [] for path in summary_paths}
            groups = {}
            for _ in range(max(1, args.uncached)):
                cache.cost_records_changed(cache_conf)
                for path in summary_paths:
                    started = time.perf_counter()
                    connection.request('GET', path)
                    response = connection.getresponse()
                    body = response.read()
                    if response.status != 200:
                        raise RuntimeError('%s: %s %s' % (
                            path, response.status, body[:500]))
                    uncached[path].append(
                        (time.perf_counter() - started) * 1000.0)
                    groups[path] = len(json.loads(body)['summary'])
            for path, times in uncached.items():
                print('%-34s uncached: first answer %.0f ms, p50 %.1f ms '
                      '(%.1f-%.1f) of %d, one request in flight '
                      '(%d groups x days)'
                      % ('summary ' + path.split('&')[0].split('=')[1],
                         times[0], statistics.median(times), min(times),
                         max(times), len(times), groups[path]), flush=True)
            connection.close()

            for _ in range(args.runs):
                for scenario in (bare, lookup, summary):
                    scenario.once()
            for scenario in (bare, lookup, summary):
                scenario.report()
            print('client peak RSS %.0f MB (this process), load average '
                  'after: %s' % (
                      max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                          resource.getrusage(
                              resource.RUSAGE_CHILDREN).ru_maxrss) / 1024.0,
                      open('/proc/loadavg').read().strip()), flush=True)
            p50, p99 = lookup.median(0), lookup.median(1)
            cost_rps, bare_rps = lookup.median(2), bare.median(2)
        finally:
            # Interrupts wait until the servers are stopped and the
            # database is dropped.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
            if not args.keep_store:
                drop_store(args.pg_url, args.database)
    print('BENCH api p50_ms=%.2f p99_ms=%.2f rps=%.1f bare_rps=%.1f'
          % (p50, p99, cost_rps, bare_rps))
    return 0


if __name__ == '__main__':
    sys.exit(main())
