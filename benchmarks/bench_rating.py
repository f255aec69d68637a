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
"""Rating benchmark: the product's pricing next to CloudKitty's hashmap, on
the same resource-hours and the same prices.

**Ours** is the function the agent's cost job and the API price with,
:func:`kcloud_analyzer.cost_model.realtime.compute_costs`, fed the way
:func:`kcloud_analyzer.jobs.costs.update_costs` feeds it: the workloads
frame of :func:`kcloud_analyzer.jobs.frames.workload_frame` and usage from
5-minute rollup means in the form
:func:`~kcloud_analyzer.jobs.frames.usage_from_means` gives it (workload and
metric categorical), ``--batch`` workloads per call (the job's batch). The
fleet is ``--workloads`` workloads over ``--hours`` hours, each with ten
metrics per 5-minute window (CPU, memory, accelerator and accelerator-memory
utilisation, accelerator board power, network in and out, disk read and
write, allocated storage): 120 rollup rows per workload-hour. Every line is
priced: compute, GPU or NPU, storage, network and energy (power integrated
over the hour, priced at the packaged card's time-of-use tariff and PUE),
with the usage basis and idle cost beside them.

**CloudKitty** (its hashmap rating module, from its own venv, see below)
rates the same workload-hours as the points its collector would hand it,
six per workload-hour, one per priced resource: ``vcpu`` (quantity: cores),
``ram`` (GB), ``accelerator`` (count; a field mapping on the model),
``storage`` (GB-hours at the monthly price / 730), ``network`` (GB out)
and ``energy`` (facility kWh of the hour; a field mapping on the hour's
tariff). Its quantities are the hourly figures ours computes from the
rollups (CloudKitty does not aggregate or integrate samples: its collector
does), so it is given less to do. Two paths are timed:

* bare: ``HashMap.process_services`` / ``process_fields`` /
  ``add_rating_informations`` per point, the module's own loop with its
  rules in memory (no database);
* pipeline: ``HashMap.process`` over a CloudKitty ``DataFrame`` of
  ``DataPoint`` objects, the path its processor runs (the DataPoints are
  built before the clock starts).

The read itself (rows as the database driver returns them, to the usage
frame) is not in either side's time, as CloudKitty's collector is not; its
CPU time per million rows is printed apart, beside the same read with
plain (non-categorical) columns.

A **priced resource-hour** is one of those six resources of one
workload-hour; ratios are resource-hours per second, ours over
CloudKitty's. Each side runs in a process of its own, which builds its
inputs once (ours also prices them once, untimed: those are the hours
CloudKitty is given); then ``--rounds`` rounds, the sides in turn, each
side timing ``--runs`` runs a round, so that a change in the speed of a
shared machine falls on both sides. A round's ratio is of the medians of
its runs; the figures printed are the median of the rounds' ratios with
their spread (min-max), the median and spread of every run of each side,
and each side's peak RSS (``ru_maxrss`` of its process, inputs included).
The total price of the allocation basis is compared between the two
sides (it must agree to 1e-9 relative).

To make the CloudKitty venv (kept out of the project venv)::

    benchmarks/setup-cloudkitty.sh

The last line is::

    BENCH rating workload_hours=<n> resource_hours=<n>
    resource_hours_per_s=<x> cloudkitty_bare_ratio=<r>
    cloudkitty_pipeline_ratio=<r> cloudkitty_bare_cpu_ratio=<r>
    cloudkitty_pipeline_cpu_ratio=<r> rounds=<n> peak_rss_mb=<m>
    cloudkitty_peak_rss_mb=<m>
"""

import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_CLOUDKITTY_PYTHON = REPO.joinpath('.ci-venvs', 'cloudkitty', 'bin',
                                         'python')

#: the priced resources of a workload-hour, as CloudKitty services
SERVICES = ('vcpu', 'ram', 'accelerator', 'storage', 'network', 'energy')

CLOUDKITTY_RUNNER = r'''
import decimal, json, resource, statistics, sys, time, warnings
warnings.simplefilter('ignore')
import datetime
from cloudkitty import dataframe
from cloudkitty.rating import hash as hashmap

prices_path, points_path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
prices = json.load(open(prices_path))
rows = [line.rstrip('\n').split(',') for line in open(points_path)]

def flat(price):
    return {'type': 'flat', 'cost': decimal.Decimal(price)}

def entries():
    # Rules go straight into the module's in-memory form: no database.
    services = {}
    for name in ('vcpu', 'ram', 'storage', 'network'):
        services[name] = {'mappings': {'_DEFAULT_': flat(prices[name])},
                          'thresholds': {}, 'fields': {}}
    for service, field, table in (('accelerator', 'model', 'accelerators'),
                                  ('energy', 'tariff', 'tariffs')):
        services[service] = {'mappings': {}, 'thresholds': {}, 'fields': {
            field: {'mappings': {'_DEFAULT_': {
                value: flat(price) for value, price in prices[table].items()}},
                'thresholds': {}}}}
    return services

def module():
    hm = object.__new__(hashmap.HashMap)
    hm._tenant_id = None
    hm._res = {}
    hm._entries = entries()
    return hm

FIELD = {'accelerator': 'model', 'energy': 'tariff'}

def points():
    made = {}
    for i, (service, qty, key) in enumerate(rows):
        groupby = {'id': str(i)}
        if service in FIELD:
            groupby[FIELD[service]] = key
        made.setdefault(service, []).append(dataframe.DataPoint(
            'unit', decimal.Decimal(qty), 0, groupby, {}))
    return made

by_service = points()
start = datetime.datetime(2026, 1, 1)


def bare(result):
    hm = module()
    started, cpu = time.perf_counter(), time.process_time()
    total = decimal.Decimal(0)
    for service, sample in by_service.items():
        for point in sample:
            hm._res = {}
            hm.process_services(service, point)
            hm.process_fields(service, point)
            total += hm.add_rating_informations(point).price
    result['bare'].append(time.perf_counter() - started)
    result['bare_cpu'].append(time.process_time() - cpu)
    result['bare_total'] = str(total)


def pipeline(result):
    frame = dataframe.DataFrame(start, start + datetime.timedelta(hours=1))
    for service, sample in by_service.items():
        frame.add_points(sample, service)
    hm = module()
    started, cpu = time.perf_counter(), time.process_time()
    rated = hm.process(frame)
    total = sum((p.price for _, p in rated.iterpoints()), decimal.Decimal(0))
    result['pipeline'].append(time.perf_counter() - started)
    result['pipeline_cpu'].append(time.process_time() - cpu)
    result['pipeline_total'] = str(total)


# ready; then a round of runs of both paths for every 'run' line read
print(json.dumps({'points': len(rows)}), flush=True)
for line in sys.stdin:
    if line.strip() != 'run':
        break
    result = {'bare': [], 'pipeline': [], 'bare_cpu': [], 'pipeline_cpu': []}
    for _ in range(runs):
        bare(result)
    for _ in range(runs):
        pipeline(result)
    print(json.dumps(result), flush=True)
print(json.dumps({'peak_rss_mb': resource.getrusage(
    resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
'''


def fleet(workloads, hours, seed):
    """Stored workload dicts and the usage frame of a synthetic fleet, in
    the dtypes :func:`kcloud_analyzer.jobs.frames.usage_from_means` gives
    (one row per workload, metric and 5-minute window)."""
    import numpy as np
    import pandas as pd

    from kcloud_analyzer.common import metrics
    from kcloud_analyzer.jobs import frames

    rng = np.random.default_rng(seed)
    models = [('A100', 'gpu', 400.0), ('H100', 'gpu', 700.0),
              ('L40S', 'gpu', 350.0), ('RNGD', 'npu', 180.0),
              ('Ascend-910B', 'npu', 400.0)]
    stored, board = [], []
    for i in range(workloads):
        model, kind, watts = models[i % len(models)]
        count = int(rng.choice([1, 2, 4, 8]))
        board.append(watts * count)
        stored.append({
            'workload_id': f'bench-{i:06d}',
            'project_id': f'project-{i % 50:02d}',
            'declared_type': ('training', 'inference', 'serving')[i % 3],
            'status': 'active', 'accelerator': model,
            'resources': {'cpu_cores': int(rng.choice([8, 16, 32, 64])),
                          'memory_gb': int(rng.choice([64, 128, 256])),
                          'gpu_count': count if kind == 'gpu' else 0,
                          'npu_count': count if kind == 'npu' else 0}})
    windows = hours * 12
    n = workloads * windows
    gpu = np.repeat([bool(w['resources']['gpu_count']) for w in stored],
                    windows)
    util = np.clip(rng.normal(60, 25, n), 0, 100)
    series = [
        (metrics.CPU_UTILIZATION, np.clip(rng.normal(40, 20, n), 0, 100)),
        (metrics.MEMORY_UTILIZATION, np.clip(rng.normal(50, 15, n), 0,
                                             100)),
        (np.where(gpu, metrics.GPU_UTILIZATION, metrics.NPU_UTILIZATION),
         util),
        (np.where(gpu, metrics.GPU_MEMORY_UTILIZATION,
                  metrics.NPU_MEMORY_UTILIZATION),
         np.clip(rng.normal(70, 10, n), 0, 100)),
        (metrics.ACCELERATOR_POWER_WATTS,
         np.repeat(board, windows) * (0.3 + 0.7 * util / 100)),
        (metrics.NETWORK_TX_BYTES_PER_S, rng.uniform(0, 5e7, n)),
        (metrics.NETWORK_RX_BYTES_PER_S, rng.uniform(0, 5e7, n)),
        (metrics.DISK_READ_BYTES_PER_S, rng.uniform(0, 1e8, n)),
        (metrics.DISK_WRITE_BYTES_PER_S, rng.uniform(0, 1e8, n)),
        (metrics.STORAGE_GB, np.repeat(rng.choice([100.0, 500.0, 2000.0],
                                                  workloads), windows)),
    ]
    ids = np.repeat(np.array([w['workload_id'] for w in stored],
                             dtype=object), windows)
    stamps = np.tile(pd.date_range('2026-03-02', periods=windows,
                                   freq='5min', tz='UTC'), workloads)
    usage = pd.DataFrame({
        'workload_id': np.concatenate([ids] * len(series)),
        'timestamp': pd.DatetimeIndex(np.concatenate(
            [stamps] * len(series))),
        'metric': np.concatenate([np.broadcast_to(
            np.asarray(name, dtype=object), n) for name, _ in series]),
        'value': np.concatenate([values for _, values in series]),
    })
    # The store returns the rollups of a batch's workloads in the order
    # they were written (``db_api.rollup_means`` has no ORDER BY; on
    # PostgreSQL a bitmap heap scan of the rows of those workloads):
    # window after window, as the agent ingested them, each window's rows
    # by workload and metric, as the merge of a batch writes them.
    usage = usage.sort_values(['timestamp', 'workload_id', 'metric'],
                              kind='stable', ignore_index=True)
    # usage_from_means gives the workload and the metric as categoricals.
    usage['workload_id'] = frames.categorical(usage['workload_id'])
    usage['metric'] = frames.categorical(usage['metric'])
    return stored, usage


def rss_mb():
    with open('/proc/self/status') as stream:
        for line in stream:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return 0.0


def ours(args):
    """The product side, in a process of its own: writes the CloudKitty
    points and prices to ``args.workdir`` and prints a JSON line (ready);
    then, for every ``run`` line read, times ``args.runs`` calls of each
    batch and prints their times; at the end (any other line or end of
    input) its peak RSS and the read's cost per row."""
    import numpy as np
    import pandas as pd

    from kcloud_analyzer.cost_model import energy_billing
    from kcloud_analyzer.cost_model import ratecard
    from kcloud_analyzer.cost_model import realtime
    from kcloud_analyzer.jobs import frames

    card = ratecard.load_rate_card(args.rate_card)
    stored, usage = fleet(args.workloads, args.hours, args.seed)
    batches = []
    for first in range(0, len(stored), args.batch):
        page = frames.workload_frame(stored[first:first + args.batch])
        part = usage.loc[usage['workload_id'].isin(
            page['workload_id'])].reset_index(drop=True)
        # A batch read holds the categories of its own workloads only.
        part['workload_id'] = (
            part['workload_id'].cat.remove_unused_categories())
        batches.append((page, part))
    usage_rows = len(usage)
    # the rows the read is timed on, after the pricing (see below)
    sample = usage.iloc[:1_000_000].copy()
    del usage
    inputs_mb = rss_mb()
    # One call, not timed, gives the workload-hours CloudKitty is given.
    costs = pd.concat([realtime.compute_costs(workloads, usage, card)
                       for workloads, usage in batches], ignore_index=True)

    # The same workload-hours as CloudKitty points, six per hour.
    workloads = pd.concat([b[0] for b in batches],
                          ignore_index=True).set_index('workload_id')
    chosen = workloads.loc[costs['workload_id']]
    count = (chosen['gpu_count'] + chosen['npu_count']).to_numpy()
    tariff = energy_billing.mean_tariff(card, costs['hour'], np.full(
        len(costs), 60.0))
    quantities = {
        'vcpu': chosen['cpu_cores'].to_numpy(),
        'ram': chosen['memory_gb'].to_numpy(),
        'accelerator': count,
        'storage': costs['storage'].to_numpy() / (
            float(card.storage_gb_month) / ratecard.HOURS_PER_MONTH),
        'network': costs['network'].to_numpy() / float(
            card.network_egress_gb),
        'energy': costs['facility_kwh'].to_numpy(),
    }
    keys = {'accelerator': chosen['accelerator'].to_numpy(),
            'energy': np.array([f'{t:.6f}' for t in tariff])}
    with open(os.path.join(args.workdir, 'points.csv'), 'w') as stream:
        for service in SERVICES:
            key = keys.get(service, np.full(len(costs), '-'))
            stream.writelines(f'{service},{q!r},{k}\n' for q, k in zip(
                quantities[service].tolist(), key, strict=True))
    prices = {
        'vcpu': str(card.vcpu_hour), 'ram': str(card.ram_gb_hour),
        'storage': repr(float(card.storage_gb_month) /
                        ratecard.HOURS_PER_MONTH),
        'network': str(card.network_egress_gb),
        'accelerators': {name: str(acc.hour)
                         for name, acc in card.accelerators.items()},
        'tariffs': {key: key for key in set(keys['energy'])},
    }
    with open(os.path.join(args.workdir, 'prices.json'), 'w') as stream:
        json.dump(prices, stream)
    print(json.dumps({
        'workload_hours': len(costs),
        'resource_hours': len(costs) * len(SERVICES),
        'usage_rows': usage_rows,
        'total': float(costs['cost_per_hour'].sum()),
        'inputs_rss_mb': inputs_mb}), flush=True)
    del costs, workloads, chosen, quantities, keys

    for line in sys.stdin:
        if line.strip() != 'run':
            break
        seconds, cpu = [], []
        for _ in range(args.runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            costs = [realtime.compute_costs(workloads, usage, card)
                     for workloads, usage in batches]
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        del costs
        print(json.dumps({'seconds': seconds, 'cpu': cpu}), flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # The read that gives those frames, on the first million rows (as
    # the store's rows: tuples of plain values), for its cost per row.
    def fresh(column):
        # a string object per row, as a database driver makes them
        return [(name + ' ')[:-1] for name in column.astype(str).tolist()]

    rows = list(zip(fresh(sample['workload_id']), fresh(sample['metric']),
                    [stamp.to_pydatetime() for stamp in
                     sample['timestamp'].dt.tz_localize(None)],
                    sample['value'].tolist(), strict=True))
    del sample
    read_cpu, plain_cpu = [], []
    for _ in range(args.runs):
        cpu_started = time.process_time()
        frames.usage_from_means(rows)
        read_cpu.append((time.process_time() - cpu_started) * 1e6 / len(rows))
        # the same read with plain columns (string inference, then
        # objects), as it was before it gave categoricals
        cpu_started = time.process_time()
        plain = pd.DataFrame.from_records(
            rows, columns=['workload_id', 'metric', 'window_start', 'mean'])
        pd.DataFrame({
            'workload_id': plain['workload_id'].astype(object),
            'timestamp': pd.to_datetime(plain['window_start'], utc=True),
            'metric': plain['metric'].astype(object),
            'value': plain['mean'].astype(float)})
        plain_cpu.append((time.process_time() - cpu_started) * 1e6 /
                         len(rows))
        del plain
    print(json.dumps({
        'read_cpu_per_million_rows': read_cpu,
        'plain_read_cpu_per_million_rows': plain_cpu,
        'peak_rss_mb': peak}), flush=True)
    return 0


class Side:
    """A side's process: one JSON line when ready, one for each round
    asked (``run``), one at the end."""

    def __init__(self, command):
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)
        self.ready = self._answer()

    def _answer(self):
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f'{self.process.args[0]} ended with '
                               f'{self.process.wait()}')
        return json.loads(line)

    def round(self):
        self.process.stdin.write('run\n')
        self.process.stdin.flush()
        return self._answer()

    def end(self):
        self.process.stdin.close()
        last = self._answer()
        self.process.wait()
        return last

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def spread(values):
    return (f'{statistics.median(values):.3f} s '
            f'({min(values):.3f}-{max(values):.3f})')


def ratio_spread(values):
    return (f'{statistics.median(values):.2f} '
            f'({min(values):.2f}-{max(values):.2f})')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--workloads', type=int, default=200)
    parser.add_argument('--hours', type=int, default=168,
                        help="hours of usage (the cost job's 7 days)")
    parser.add_argument('--runs', type=int, default=5,
                        help='timed runs of each side in a round')
    parser.add_argument('--rounds', type=int, default=3,
                        help='rounds, each side in turn; the ratios are '
                             'the median of the rounds')
    parser.add_argument('--batch', type=int, default=None,
                        help='workloads per compute_costs call (the cost '
                             "job's batch by default)")
    parser.add_argument('--rate-card', default=None,
                        help='rate card file (the packaged one)')
    parser.add_argument('--cloudkitty-python',
                        default=str(DEFAULT_CLOUDKITTY_PYTHON),
                        help='python of a venv with the cloudkitty package')
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument('--side', choices=['ours'], help=argparse.SUPPRESS)
    parser.add_argument('--workdir', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.batch is None:
        from kcloud_analyzer.jobs import frames
        args.batch = frames.BATCH_WORKLOADS
    if args.side == 'ours':
        return ours(args)

    have_cloudkitty = os.path.exists(args.cloudkitty_python)
    if not have_cloudkitty:
        print(f'CloudKitty venv not found at {args.cloudkitty_python}; '
              'ratios are na (benchmarks/setup-cloudkitty.sh makes it)',
              file=sys.stderr)
    sides = []
    with tempfile.TemporaryDirectory(prefix='bench-rating-') as workdir:
        try:
            command = [sys.executable, __file__, '--side', 'ours',
                       '--workdir', workdir,
                       '--workloads', str(args.workloads),
                       '--hours', str(args.hours), '--runs', str(args.runs),
                       '--batch', str(args.batch), '--seed', str(args.seed)]
            if args.rate_card:
                command += ['--rate-card', args.rate_card]
            sides.append(Side(command))
            if have_cloudkitty:
                sides.append(Side(
                    [args.cloudkitty_python, '-c', CLOUDKITTY_RUNNER,
                     os.path.join(workdir, 'prices.json'),
                     os.path.join(workdir, 'points.csv'), str(args.runs)]))
            # the sides in turn, round after round: a change of the
            # machine's speed falls on both
            rounds = [[side.round() for side in sides]
                      for _ in range(args.rounds)]
            ends = [side.end() for side in sides]
        finally:
            for side in sides:
                side.kill()
    return report(args, sides[0].ready, rounds, ends)


def report(args, ready, rounds, ends):
    """Print each round and the figures over all of them; 0 when both
    sides priced the same total."""
    units = ready['resource_hours']
    mine = {key: [x for found in rounds for x in found[0][key]]
            for key in ('seconds', 'cpu')}
    rate = units / statistics.median(mine['seconds'])
    print(f'fleet: {args.workloads} workloads x {args.hours} h = '
          f'{ready["workload_hours"]} workload-hours, {units} '
          f'resource-hours, {ready["usage_rows"]} rollup rows; '
          f'{args.rounds} rounds of {args.runs} runs each side, the sides '
          'in turn')
    ratios = {}
    paths = ('bare', 'pipeline') if len(ends) > 1 else ()
    for number, found in enumerate(rounds, 1):
        text = f'round {number}: ours CPU {spread(found[0]["cpu"])}'
        for path in paths:
            for unit, key in (('wall', path), ('cpu', path + '_cpu')):
                ratios.setdefault((path, unit), []).append(
                    statistics.median(found[1][key]) /
                    statistics.median(found[0][
                        'seconds' if unit == 'wall' else 'cpu']))
            text += (f'; CloudKitty {path} CPU '
                     f'{spread(found[1][path + "_cpu"])} (ratio '
                     f'{ratios[path, "cpu"][-1]:.2f})')
        print(text)
    hours_per_s = ready['workload_hours'] / statistics.median(
        mine['seconds'])
    print(f'ours (compute_costs, {args.batch} workloads per call): '
          f'{spread(mine["seconds"])}, {rate:,.0f} resource-hours/s, '
          f'{hours_per_s:,.0f} workload-hours/s, peak RSS '
          f'{ends[0]["peak_rss_mb"]:.0f} MB '
          f'({ready["inputs_rss_mb"]:.0f} MB with the inputs built)')
    cpu_rate = units / statistics.median(mine['cpu'])
    print(f'ours CPU: {spread(mine["cpu"])}, {cpu_rate:,.0f} '
          'resource-hours per CPU second')
    print(f'read before it (usage_from_means, not timed above): CPU '
          f'{spread(ends[0]["read_cpu_per_million_rows"])} per million '
          'rollup rows; with plain columns '
          f'{spread(ends[0]["plain_read_cpu_per_million_rows"])}')
    bench = {path: {'wall': 'na', 'cpu': 'na'} for path in
             ('bare', 'pipeline')}
    ck_rss = 'na'
    for path in paths:
        theirs = {key: [x for found in rounds for x in found[1][key]]
                  for key in (path, path + '_cpu')}
        total = float(rounds[-1][1][path + '_total'])
        same = abs(total - ready['total']) <= 1e-9 * abs(ready['total'])
        for unit in ('wall', 'cpu'):
            bench[path][unit] = f'{statistics.median(ratios[path, unit]):.2f}'
        print(f'CloudKitty {path}: {spread(theirs[path])}, '
              f'{units / statistics.median(theirs[path]):,.0f} '
              f'resource-hours/s (CPU {spread(theirs[path + "_cpu"])}); '
              f'ratio {ratio_spread(ratios[path, "wall"])}, by CPU '
              f'{ratio_spread(ratios[path, "cpu"])} (median of the rounds);'
              f' total {total:.6f} vs ours {ready["total"]:.6f}: '
              f'{"same" if same else "DIFFERENT"}')
        if not same:
            print('Totals differ: the two sides did not price the same',
                  file=sys.stderr)
            return 1
    if paths:
        ck_rss = f'{ends[1]["peak_rss_mb"]:.0f}'
        print(f'CloudKitty peak RSS {ck_rss} MB')
    print(f'BENCH rating workload_hours={ready["workload_hours"]} '
          f'resource_hours={units} resource_hours_per_s={rate:.0f} '
          f'cloudkitty_bare_ratio={bench["bare"]["wall"]} '
          f'cloudkitty_pipeline_ratio={bench["pipeline"]["wall"]} '
          f'cloudkitty_bare_cpu_ratio={bench["bare"]["cpu"]} '
          f'cloudkitty_pipeline_cpu_ratio={bench["pipeline"]["cpu"]} '
          f'rounds={args.rounds} '
          f'peak_rss_mb={ends[0]["peak_rss_mb"]:.0f} '
          f'cloudkitty_peak_rss_mb={ck_rss}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
