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
"""Benchmark: the agent's hourly cost job, incremental against the week.

A PostgreSQL database of its own holds ``--workloads`` workloads with 7
days and one hour of 5-minute rollups of four metrics (GPU, CPU and memory
utilisation, host power), filled in SQL. Each run times, each in a process
of its own, with ``kcloud_analyzer.jobs.costs.update_costs``:

* ``week`` (the baseline: what every hourly run did before the job became
  incremental, and what a run that refreshes the recommendations still
  does): no cost records yet; read the last 7 days of every workload,
  price them, store the records and the recommendations;
* ``incremental`` (an hourly run between two refreshes): one hour later,
  read only the hours not priced yet and the hour before them, price and
  store them.

Each side reports wall time, CPU time and peak RSS; the script prints the
median and the min-max of ``--runs`` runs and ends with::

    BENCH cost_job workloads=<n> week_s=<s> incremental_s=<s>
    speedup=<x> week_cpu_s=<s> incremental_cpu_s=<s>
    week_peak_rss_mb=<mb> incremental_peak_rss_mb=<mb>

The database is dropped at the end, also on Ctrl-C or SIGTERM.
"""

import argparse
import datetime
import os
import signal
import statistics
import subprocess
import sys
import tempfile

import sqlalchemy as sa

import bench_api
from kcloud_analyzer.db import migration

#: the hour the week ends (the first run's "now")
NOW = datetime.datetime(2026, 3, 9)
DAYS = 7

#: how the process of a side starts: the store named by the configuration
#: file of argv[1], an admin context, and "now" from argv[2]
SIDE_START = """
import datetime, json, resource, sys, time
from kcloud_analyzer import service
from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.db import api as db_api
conf = service.prepare_service(['--config-file', sys.argv[1]],
                               default_config_files=[])
db_api.configure(conf)
context = kcontext.get_admin_context()
now = datetime.datetime.fromisoformat(sys.argv[2])
"""

SIDE = SIDE_START + """
from kcloud_analyzer.jobs import costs
recommend = sys.argv[3] == 'week'
cpu, wall = time.process_time(), time.perf_counter()
written, advised = costs.update_costs(conf, context, now=now,
                                      recommend=recommend)
print('%.3f %.3f %.1f %d %d' % (
    time.perf_counter() - wall, time.process_time() - cpu,
    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    written, advised))
"""

CONFIG = """[DEFAULT]
state_path = {state}
[database]
connection = {url}
"""


def fill(admin_url, name, workloads):
    """Create the database and its workloads and rollups."""
    admin = sa.create_engine(admin_url, isolation_level='AUTOCOMMIT')
    with admin.connect() as connection:
        connection.execute(sa.text('DROP DATABASE IF EXISTS %s' % name))
        connection.execute(sa.text('CREATE DATABASE %s' % name))
    admin.dispose()
    url = admin_url.rsplit('/', 1)[0] + '/' + name
    engine = sa.create_engine(url)
    migration.upgrade(engine)
    start = NOW - datetime.timedelta(days=DAYS)
    with engine.begin() as connection:
        connection.execute(sa.text("""
            INSERT INTO workloads (workload_id, name, project_id, status,
                declared_type, resources, accelerator, created_at)
            SELECT 'bench-' || lpad(i::text, 5, '0'), NULL,
                   'project-' || lpad((i % 20)::text, 2, '0'), 'active',
                   (ARRAY['training', 'inference', 'serving'])[i % 3 + 1],
                   json_build_object('cpu_cores', 16, 'memory_gb', 128,
                                     'gpu_count', i % 4 + 1),
                   'A100', now()
            FROM generate_series(0, :n - 1) AS i"""), {'n': workloads})
        # Utilisation on a daily wave with a phase per workload; power
        # follows the GPUs' utilisation.
        connection.execute(sa.text("""
            INSERT INTO usage_rollups (workload_id, metric, window_start,
                mean, min, max, count, created_at, updated_at)
            SELECT w, m, t, v, v, v, 10, now(), now()
            FROM (
                SELECT 'bench-' || lpad(i::text, 5, '0') AS w, m, t,
                       CASE m
                         WHEN 'power_watts' THEN 300 + (i % 4 + 1) * 250
                              * (0.5 + 0.4 * sin(extract(epoch FROM t)
                                                 / 13751 + i))
                         WHEN 'memory_utilization' THEN 40 + (i % 7) * 5
                         ELSE 50 + 40 * sin(extract(epoch FROM t) / 13751
                                            + i)
                       END AS v
                FROM generate_series(0, :n - 1) AS i
                CROSS JOIN unnest(ARRAY['gpu_utilization',
                                        'cpu_utilization',
                                        'memory_utilization',
                                        'power_watts']) AS m
                CROSS JOIN generate_series(
                    CAST(:start AS timestamp),
                    CAST(:stop AS timestamp) - INTERVAL '5 minutes',
                    INTERVAL '5 minutes') AS t) AS s"""),
            {'n': workloads, 'start': start,
             'stop': NOW + datetime.timedelta(hours=1)})
        rows = connection.execute(sa.text(
            'SELECT count(*) FROM usage_rollups')).scalar()
    with engine.connect() as connection:
        connection.execution_options(isolation_level='AUTOCOMMIT').execute(
            sa.text('VACUUM ANALYZE usage_rollups'))
    engine.dispose()
    return url, rows


def side(config, now, which):
    output = subprocess.run(
        [sys.executable, '-c', SIDE, config, now.isoformat(), which],
        capture_output=True, text=True, check=False)
    if output.returncode:
        raise RuntimeError('%s run failed: %s' % (which,
                                                   output.stderr[-2000:]))
    wall, cpu, rss, written, advised = output.stdout.split()[-5:]
    return {'wall': float(wall), 'cpu': float(cpu), 'rss': float(rss),
            'written': int(written), 'advised': int(advised)}


def spread(values):
    return '%.3f (%.3f-%.3f)' % (statistics.median(values), min(values),
                                 max(values))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--pg-url', default=bench_api.PG_URL)
    parser.add_argument('--database', default='kcloud_bench_cost_job')
    parser.add_argument('--workloads', type=int, default=500)
    parser.add_argument('--runs', type=int, default=3)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    try:
        print('Filling %s: %d workloads x %d days of 5-minute rollups...'
              % (args.database, args.workloads, DAYS), flush=True)
        url, rows = fill(args.pg_url, args.database, args.workloads)
        print('%d rollup rows' % rows, flush=True)
        engine = sa.create_engine(url)
        results = {'week': [], 'incremental': []}
        with tempfile.TemporaryDirectory(prefix='bench-cost-job-') as state:
            config = os.path.join(state, 'kcloud-analyzer.conf')
            with open(config, 'w') as stream:
                stream.write(CONFIG.format(state=state, url=url))
            for run in range(args.runs):
                with engine.begin() as connection:
                    connection.execute(sa.text(
                        'TRUNCATE cost_records, cost_totals, '
                        'recommendations'))
                week = side(config, NOW, 'week')
                incremental = side(
                    config, NOW + datetime.timedelta(hours=1),
                    'incremental')
                results['week'].append(week)
                results['incremental'].append(incremental)
                print('run %d: week %.2f s (CPU %.2f s, %.0f MB, %d '
                      'records, %d recommendations); incremental %.2f s '
                      '(CPU %.2f s, %.0f MB, %d records)' % (
                          run + 1, week['wall'], week['cpu'], week['rss'],
                          week['written'], week['advised'],
                          incremental['wall'], incremental['cpu'],
                          incremental['rss'], incremental['written']),
                      flush=True)
        engine.dispose()
    finally:
        bench_api.drop_store(args.pg_url, args.database)

    for name, runs in results.items():
        print('%-12s wall %s s, CPU %s s, peak RSS %s MB' % (
            name, spread([r['wall'] for r in runs]),
            spread([r['cpu'] for r in runs]),
            spread([r['rss'] for r in runs])))
    week = statistics.median(r['wall'] for r in results['week'])
    incremental = statistics.median(
        r['wall'] for r in results['incremental'])
    print('BENCH cost_job workloads=%d week_s=%.2f incremental_s=%.2f '
          'speedup=%.1f week_cpu_s=%.2f incremental_cpu_s=%.2f '
          'week_peak_rss_mb=%.0f incremental_peak_rss_mb=%.0f' % (
              args.workloads, week, incremental, week / incremental,
              statistics.median(r['cpu'] for r in results['week']),
              statistics.median(r['cpu'] for r in results['incremental']),
              statistics.median(r['rss'] for r in results['week']),
              statistics.median(r['rss'] for r in results['incremental'])))
    return 0


if __name__ == '__main__':
    sys.exit(main())
