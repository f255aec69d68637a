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
Redis-backed summary cache), as does the bare app; this process is the
load generator: ``--concurrency`` threads on keep-alive connections for
``--seconds`` per scenario.

The last line is::

    BENCH api p50_ms=<a> p99_ms=<b> rps=<c> bare_rps=<d>

for ``GET /api/v1/cost/{workload_id}`` on random workloads. Needs
PostgreSQL (``--pg-url``: an account allowed to create databases) and
Redis (``--redis``).
"""

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time

import sqlalchemy as sa
from sqlalchemy import orm

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


def report(name, latencies, rps):
    p50 = percentile(latencies, 0.50)
    p99 = percentile(latencies, 0.99)
    print('%-34s n=%7d  p50=%7.2f ms  p99=%7.2f ms  rps=%7.1f'
          % (name, len(latencies), p50, p99, rps), flush=True)
    return p50, p99


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--pg-url', default=os.environ.get(
        'KCLOUD_BENCH_PG_URL', 'postgresql+psycopg2://openstack_citest:'
        'openstack_citest@127.0.0.1/openstack_citest'))
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
    parser.add_argument('--keep-store', action='store_true',
                        help='keep the filled database for the next run '
                             '(filling 10,000 x 90 days takes tens of '
                             'minutes); dropped at the end otherwise')
    args = parser.parse_args(argv)

    url = ensure_store(args.pg_url, args.database, args.workloads,
                       args.days)
    ids = ['bench-%05d' % i for i in range(args.workloads)]
    processes = []
    with tempfile.TemporaryDirectory(prefix='bench-api-') as state:
        try:
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

            # Warm both (connections, caches) before measuring.
            load(bare_port, lambda rng: '/', args.concurrency, 2)
            load(api_port, lambda rng: '/api/v1/cost/' + rng.choice(ids),
                 args.concurrency, 3)

            bare, bare_rps = load(bare_port, lambda rng: '/',
                                  args.concurrency, args.seconds)
            report('bare pecan hello', bare, bare_rps)
            cost, cost_rps = load(
                api_port, lambda rng: '/api/v1/cost/' + rng.choice(ids),
                args.concurrency, args.seconds)
            p50, p99 = report('GET /api/v1/cost/{id}', cost, cost_rps)
            window = ('start=2026-03-01T00:00:00Z&'
                      'end=2026-03-08T00:00:00Z')
            connection = http.client.HTTPConnection('127.0.0.1', api_port,
                                                    timeout=600)
            summary_paths = [
                '/api/v1/cost?group_by=%s&period=day&%s' % (group, window)
                for group in ('project', 'type', 'accelerator')]
            for path in summary_paths:
                started = time.perf_counter()
                connection.request('GET', path)
                body = connection.getresponse().read()
                print('%-34s first answer %.0f ms (%d groups x days)'
                      % ('summary ' + path.split('&')[0].split('=')[1],
                         (time.perf_counter() - started) * 1000.0,
                         len(json.loads(body)['summary'])), flush=True)
            connection.close()
            summary, summary_rps = load(
                api_port, lambda rng: rng.choice(summary_paths),
                args.concurrency, args.seconds)
            report('GET /api/v1/cost (cached)', summary, summary_rps)
        finally:
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
