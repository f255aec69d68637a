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
"""Benchmark: retraining the cost model, streamed against all at once.

A PostgreSQL database of its own holds ``--workloads`` workloads with 7
days and one hour of 5-minute rollups of four metrics (the store of
``bench_cost_job.py``). Each run fits the ``linear_regression`` cost model
on that history, each side in a process of its own:

* ``whole`` (the baseline: what the agent's retraining did before): read
  every workload and every rollup at once (``frames.from_store``), price
  them, fit;
* ``streamed`` (the agent's retraining now,
  ``jobs.training.retrain_cost_model``): price the window a batch of
  workloads at a time and keep at most ``[cost_model] training_hours``
  workload-hours (a uniform sample) with their hourly means, then fit.

Each side reports wall time, CPU time, peak RSS, the workload-hours it was
fitted on and the fit's R squared; the script prints the median and the
min-max of ``--runs`` runs and ends with::

    BENCH cost_training workloads=<n> rollups=<n> whole_s=<s>
    whole_peak_rss_mb=<mb> whole_hours=<n> whole_rsquared=<r>
    streamed_s=<s> streamed_peak_rss_mb=<mb> streamed_hours=<n>
    streamed_rsquared=<r>

(``--sides streamed`` runs the streamed side alone, for fleets whose
baseline would not fit in memory; ``--training-hours N ...`` runs it once
for each cap, ``streamed_<N>_...`` in the BENCH line.)

The database is dropped at the end, also on Ctrl-C or SIGTERM.
"""

import argparse
import datetime
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile

import bench_api
import bench_cost_job

SIDE = bench_cost_job.SIDE_START + """
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.jobs import frames
from kcloud_analyzer.jobs import training
cpu, wall = time.process_time(), time.perf_counter()
if sys.argv[3] == 'whole':
    card = ratecard.load_rate_card(conf.cost_model.rate_card_file)
    workloads, usage = frames.from_store(context)
    record = training.train_cost_model(conf, context, workloads, usage,
                                       card)
else:
    if len(sys.argv) > 4:
        conf.set_override('training_hours', int(sys.argv[4]),
                          group='cost_model')
    record = training.retrain_cost_model(conf, context, now=now)
print(json.dumps({
    'wall': time.perf_counter() - wall, 'cpu': time.process_time() - cpu,
    'rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    'hours': record['data']['workload_hours'],
    'rsquared': record['metrics']['rsquared']}))
"""


SIDES = ('whole', 'streamed')


def side(config, now, which):
    name, _, hours = which.partition('-')
    output = subprocess.run(
        [sys.executable, '-c', SIDE, config, now.isoformat(), name,
         *([hours] if hours else [])],
        capture_output=True, text=True, check=False)
    if output.returncode:
        raise RuntimeError('%s run failed: %s' % (which,
                                                   output.stderr[-2000:]))
    return json.loads(output.stdout.splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--pg-url', default=bench_api.PG_URL)
    parser.add_argument('--database', default='kcloud_bench_cost_training')
    parser.add_argument('--workloads', type=int, default=500)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--sides', nargs='+', choices=SIDES, default=SIDES,
                        help='the sides to run (default: both); the '
                             'baseline needs about 7.5 MB per workload')
    parser.add_argument('--training-hours', type=int, nargs='+',
                        metavar='N',
                        help='run the streamed side once for each N as '
                             '[cost_model] training_hours (default: the '
                             'option\'s default)')
    args = parser.parse_args(argv)
    if args.training_hours and 'streamed' in args.sides:
        args.sides = [name for name in args.sides if name != 'streamed'] + [
            'streamed-%d' % hours for hours in args.training_hours]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    now = bench_cost_job.NOW + datetime.timedelta(hours=1)
    results = {name: [] for name in args.sides}
    try:
        print('Filling %s: %d workloads x %d days of 5-minute rollups...'
              % (args.database, args.workloads, bench_cost_job.DAYS),
              flush=True)
        url, rows = bench_cost_job.fill(args.pg_url, args.database,
                                        args.workloads)
        print('%d rollup rows' % rows, flush=True)
        with tempfile.TemporaryDirectory(prefix='bench-training-') as state:
            config = os.path.join(state, 'kcloud-analyzer.conf')
            with open(config, 'w') as stream:
                stream.write(bench_cost_job.CONFIG.format(state=state,
                                                          url=url))
            for run in range(args.runs):
                for name in args.sides:
                    result = side(config, now, name)
                    results[name].append(result)
                    print('run %d %-15s %.2f s (CPU %.2f s), peak RSS %.0f '
                          'MB, %d workload-hours, R squared %.4f' % (
                              run + 1, name, result['wall'], result['cpu'],
                              result['rss'], result['hours'],
                              result['rsquared']), flush=True)
    finally:
        bench_api.drop_store(args.pg_url, args.database)

    for name, runs in results.items():
        print('%-15s wall %s s, CPU %s s, peak RSS %s MB' % (
            name, bench_cost_job.spread([r['wall'] for r in runs]),
            bench_cost_job.spread([r['cpu'] for r in runs]),
            bench_cost_job.spread([r['rss'] for r in runs])))

    def median(name, key):
        return statistics.median(r[key] for r in results[name])

    fields = ['workloads=%d' % args.workloads, 'rollups=%d' % rows]
    for name in args.sides:
        key = name.replace('-', '_')
        fields += ['%s_s=%.2f' % (key, median(name, 'wall')),
                   '%s_peak_rss_mb=%.0f' % (key, median(name, 'rss')),
                   '%s_hours=%d' % (key, median(name, 'hours')),
                   '%s_rsquared=%.4f' % (key, median(name, 'rsquared'))]
    print('BENCH cost_training ' + ' '.join(fields))
    return 0


if __name__ == '__main__':
    sys.exit(main())
