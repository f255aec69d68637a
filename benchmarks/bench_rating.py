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
"""Rating benchmark: usage points priced under rate cards of 10, 100 and
1,000 flavour/accelerator entries, next to CloudKitty's hashmap module.

For each card size the same ``--points`` usage points (a flavour name and a
quantity of hours, names drawn uniformly from the card, held as the pandas
string column ``read_csv`` gives) are priced by
:func:`kcloud_analyzer.cost_model.realtime.rate_by_key` (a hash index to
integer codes, then one ``numpy.take``). Points per second are the best of
five runs; peak memory is the tracemalloc peak of one run (Python and
numpy allocations) next to the process's peak RSS.

CloudKitty, when its venv exists, rates the same points with the same
rules: one hashmap service ``instance`` with a field ``flavor_name`` and
one flat mapping per card entry (price per hour; CloudKitty multiplies it
by the quantity). Two paths are timed in a child process of that venv:

* bare: ``HashMap.process_services`` / ``process_fields`` /
  ``add_rating_informations`` per point, the module's own loop with its
  rules already in memory (no database);
* pipeline: ``HashMap.process`` over a CloudKitty ``DataFrame`` of
  ``DataPoint`` objects, the path its processor runs.

Because CloudKitty compares every mapping as a string, its cost grows with
the card; it rates a sample of the points (``--cloudkitty-budget`` point x
entry comparisons per path, at least 2,000 points) and its rate is
points/second over that sample. Both sides' total prices over the sample
are compared so the rules are known to be the same.

To make the CloudKitty venv (kept out of the project venv)::

    python3 -m venv .ci-venvs/cloudkitty
    .ci-venvs/cloudkitty/bin/pip install cloudkitty

The last line is (ratios for the 10-entry card, where CloudKitty is
fastest; ``na`` without the venv)::

    BENCH rating points=<n> points_per_s=<x> cloudkitty_bare_ratio=<r>
    cloudkitty_pipeline_ratio=<r>
"""

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy as np
import pandas as pd

from kcloud_analyzer.cost_model import realtime

REPO = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_CLOUDKITTY_PYTHON = REPO.joinpath('.ci-venvs', 'cloudkitty', 'bin',
                                         'python')

CLOUDKITTY_RUNNER = r'''
import decimal, json, sys, time, warnings
warnings.simplefilter('ignore')
import datetime
from cloudkitty import dataframe
from cloudkitty.rating import hash as hashmap

card_path, points_path, bare_n, pipe_n = sys.argv[1:5]
card = json.load(open(card_path))
rows = [line.rstrip('\n').split(',') for line in open(points_path)]
mappings = {name: {'type': 'flat', 'cost': decimal.Decimal(price)}
            for name, price in card.items()}

def module():
    # Rules go straight into the module's in-memory form: no database.
    hm = object.__new__(hashmap.HashMap)
    hm._tenant_id = None
    hm._res = {}
    hm._entries = {'instance': {
        'mappings': {}, 'thresholds': {},
        'fields': {'flavor_name': {'mappings': {'_DEFAULT_': mappings},
                                   'thresholds': {}}}}}
    return hm

def points(n):
    return [dataframe.DataPoint('instance', decimal.Decimal(qty), 0,
                                {'flavor_name': name, 'id': str(i)}, {})
            for i, (name, qty) in enumerate(rows[:n])]

result = {}
hm = module()
sample = points(int(bare_n))
started = time.perf_counter()
total = decimal.Decimal(0)
for point in sample:
    hm._res = {}
    hm.process_services('instance', point)
    hm.process_fields('instance', point)
    total += hm.add_rating_informations(point).price
elapsed = time.perf_counter() - started
result['bare'] = {'points': len(sample), 'seconds': elapsed,
                  'total': str(total)}

start = datetime.datetime(2026, 1, 1)
frame = dataframe.DataFrame(start, start + datetime.timedelta(hours=1))
sample = points(int(pipe_n))
frame.add_points(sample, 'instance')
hm = module()
started = time.perf_counter()
rated = hm.process(frame)
total = sum((p.price for _, p in rated.iterpoints()), decimal.Decimal(0))
elapsed = time.perf_counter() - started
result['pipeline'] = {'points': len(sample), 'seconds': elapsed,
                      'total': str(total)}
print(json.dumps(result))
'''


def make_card(entries, rng):
    names = [f'flavor-{i:04d}' for i in range(entries)]
    cents = rng.integers(1, 100000, entries)
    return {name: f'{c / 10000:.4f}' for name, c in zip(names, cents,
                                                        strict=True)}


def make_points(card, count, rng):
    names = np.array(list(card), dtype=object)
    keys = pd.Series(names[rng.integers(0, len(names), count)], dtype='str')
    quantities = rng.choice([0.5, 1.0, 2.0], count)
    return keys, quantities


def ours(keys, quantities, card):
    realtime.rate_by_key(keys[:1000], quantities[:1000], card)
    best = float('inf')
    for _ in range(5):
        started = time.perf_counter()
        rated = realtime.rate_by_key(keys, quantities, card)
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    realtime.rate_by_key(keys, quantities, card)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return rated, len(keys) / best, peak


def cloudkitty(python, card, keys, quantities, budget, workdir):
    entries = len(card)
    sample = int(min(len(keys), max(2000, budget // entries)))
    card_path = os.path.join(workdir, 'card.json')
    points_path = os.path.join(workdir, 'points.csv')
    with open(card_path, 'w') as stream:
        json.dump(card, stream)
    with open(points_path, 'w') as stream:
        stream.writelines(f'{k},{q}\n' for k, q in zip(
            keys[:sample], quantities[:sample], strict=True))
    pipeline_sample = max(2000, sample // 4)
    done = subprocess.run(
        [str(python), '-c', CLOUDKITTY_RUNNER, card_path, points_path,
         str(sample), str(pipeline_sample)],
        capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--points', type=int, default=1_000_000)
    parser.add_argument('--sizes', default='10,100,1000',
                        help='rate card entries, comma separated')
    parser.add_argument('--cloudkitty-python',
                        default=str(DEFAULT_CLOUDKITTY_PYTHON),
                        help='python of a venv with the cloudkitty package')
    parser.add_argument('--cloudkitty-budget', type=int, default=2_000_000,
                        help='point x entry comparisons per CloudKitty path')
    parser.add_argument('--seed', type=int, default=42)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    have_cloudkitty = os.path.exists(args.cloudkitty_python)
    if not have_cloudkitty:
        print(f'CloudKitty venv not found at {args.cloudkitty_python}; '
              'ratios are na (see the docstring to make one)',
              file=sys.stderr)
    print(f'{"entries":>7} {"points":>9} {"points/s":>12} {"peak MB":>8} '
          f'{"CK bare/s":>10} {"CK pipe/s":>10} {"bare x":>7} '
          f'{"pipe x":>7} {"same prices":>11}')
    first = None
    with tempfile.TemporaryDirectory() as workdir:
        for entries in (int(s) for s in args.sizes.split(',')):
            card = make_card(entries, rng)
            keys, quantities = make_points(card, args.points, rng)
            rated, rate, peak = ours(keys, quantities, card)
            row = {'entries': entries, 'rate': rate, 'bare': None,
                   'pipeline': None, 'same': 'na'}
            if have_cloudkitty:
                measured = cloudkitty(args.cloudkitty_python, card, keys,
                                      quantities, args.cloudkitty_budget,
                                      workdir)
                bare, pipe = measured['bare'], measured['pipeline']
                row['bare'] = bare['points'] / bare['seconds']
                row['pipeline'] = pipe['points'] / pipe['seconds']
                same = (abs(float(bare['total']) -
                            rated[:bare['points']].sum()) < 1e-6 and
                        abs(float(pipe['total']) -
                            rated[:pipe['points']].sum()) < 1e-6)
                row['same'] = 'yes' if same else 'NO'
            first = first or row

            def fmt(value, spec):
                return 'na' if value is None else format(value, spec)

            bare_x = row['bare'] and rate / row['bare']
            pipe_x = row['pipeline'] and rate / row['pipeline']
            print(f'{entries:>7} {args.points:>9} {rate:>12,.0f} '
                  f'{peak / 2**20:>8.1f} {fmt(row["bare"], ",.0f"):>10} '
                  f'{fmt(row["pipeline"], ",.0f"):>10} '
                  f'{fmt(bare_x, ".1f"):>7} {fmt(pipe_x, ".1f"):>7} '
                  f'{row["same"]:>11}', flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'peak RSS of this process: {rss:.0f} MB')

    def ratio(other):
        return 'na' if other is None else f'{first["rate"] / other:.1f}'

    print(f'BENCH rating points={args.points} '
          f'points_per_s={first["rate"]:.0f} '
          f'cloudkitty_bare_ratio={ratio(first["bare"])} '
          f'cloudkitty_pipeline_ratio={ratio(first["pipeline"])}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
