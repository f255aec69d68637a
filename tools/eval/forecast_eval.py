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
"""Evaluate the hourly forecasts on real series with a time split.

Series (from ``kcloud_analyzer.common.datasets.data_dir()``):

* ``servegen-model``: Alibaba ServeGen hourly total request rate of each
  model with 14 days of data (m-large, m-mid, m-small); the two one-day
  models are too short to hold out 48 hours and still validate;
* ``servegen-client``: hourly request rate of the busiest clients of those
  models (``--clients`` per model, ranked by their volume before the
  held-out window);
* ``helios-vc``: Helios (SenseTime Earth) GPUs allocated per virtual
  cluster, hourly means of the per-minute series (31 days);
* ``philly``: Philly active nodes, hourly (2.5 months).

The LAST 48 HOURS of every series are held out: they are never passed to
any fit, validation or method choice. Both baselines (daily naive: the last
day repeated; Holt-Winters: additive trend and day season fitted on the
same history) are computed in the same run, on the same window, and the
pooled hourly WAPE (sum |error| / sum actual over every series and hour of
a group) and the coverage of the 80 % interval are printed per group.

The median-of-five rule and the interval widening of
:mod:`kcloud_analyzer.cost_model.forecast` were chosen on a development
window: the 48 hours just before the held-out window, forecast from the
hours before them.

Run: ``.venv/bin/python tools/eval/forecast_eval.py [--clients 20]``
"""

import argparse
import collections
import sys
import time

import numpy as np
import pandas as pd

from kcloud_analyzer.common import datasets
from kcloud_analyzer.cost_model import forecast

HOLDOUT = 48


def servegen_models(root):
    frame = pd.read_csv(root / 'alibaba_servegen_llm_serving_rates' /
                        'servegen_model_total_rate_10min.csv')
    frame['hour'] = frame['timestamp_s'] // 3600
    hourly = frame.groupby(['model', 'hour'])['total_rate_rps'].mean()
    return {model: values.to_numpy()
            for model, values in hourly.groupby(level=0)
            if values.size >= 7 * forecast.DAY}


def servegen_clients(root, per_model):
    frame = pd.read_csv(root / 'alibaba_servegen_llm_serving_rates' /
                        'servegen_client_rates_10min.csv.gz',
                        usecols=['model', 'client_id', 'timestamp_s',
                                 'rate_rps'])
    frame['hour'] = frame['timestamp_s'] // 3600
    hourly = frame.groupby(['model', 'client_id', 'hour'])['rate_rps'].mean()
    chosen = {}
    for model, model_rows in hourly.groupby(level=0):
        series = {client: values.to_numpy()
                  for (_, client), values in model_rows.groupby(level=[0, 1])}
        long_enough = {c: v for c, v in series.items()
                       if v.size >= 7 * forecast.DAY}
        volume = {c: v[:-HOLDOUT].sum() for c, v in long_enough.items()}
        for client in sorted(volume, key=volume.get, reverse=True)[
                :per_model]:
            chosen[f'{model}/client-{client}'] = long_enough[client]
    return chosen


def helios_vcs(root):
    chosen = {}
    folder = root / 'helios_sensetime_derived' / 'earth_vc_minutely'
    for path in sorted(folder.glob('*_cluster_sequence_vc.csv.gz')):
        frame = pd.read_csv(path, usecols=['time', 'running_gpu_num'],
                            parse_dates=['time'])
        hourly = frame.set_index('time')['running_gpu_num'].resample(
            'h').mean().interpolate()
        chosen[path.name.split('_')[0]] = hourly.to_numpy()
    return chosen


def philly(root):
    frame = pd.read_csv(root / 'helios_sensetime_derived' /
                        'philly_node_sequence.csv.gz',
                        parse_dates=['time'])
    hourly = frame.set_index('time')['active'].resample('h').mean()
    return {'philly-active-nodes': hourly.interpolate().to_numpy()}


def evaluate(group, series, rows, methods, folds, offset=0):
    """Forecast every series; ``offset`` hours are dropped from its end."""
    for index, (name, values) in enumerate(series.items(), start=1):
        values = values[:values.size - offset]
        history, actual = values[:-HOLDOUT], values[-HOLDOUT:]
        started = time.monotonic()
        result = forecast.forecast(history, HOLDOUT, methods=methods,
                                   folds=folds)
        naive = forecast.seasonal_naive(history, HOLDOUT)
        hw = forecast.holt_winters(history, HOLDOUT)
        inside = (actual >= result.lower) & (actual <= result.upper)
        rows.append({
            'group': group, 'series': name, 'method': result.method,
            'actual': np.abs(actual).sum(),
            'err_naive': np.abs(actual - naive).sum(),
            'err_hw': np.abs(actual - hw).sum(),
            'err_ours': np.abs(actual - result.point).sum(),
            'covered': int(inside.sum()), 'hours': HOLDOUT,
        })
        print(f'[{group}] {index}/{len(series)} {name}: '
              f'{result.method} in {time.monotonic() - started:.1f}s',
              file=sys.stderr)


def report(rows):
    frame = pd.DataFrame(rows)
    lines = ['| series group | n | WAPE daily-naive | WAPE Holt-Winters | '
             'WAPE ours | vs best baseline | median per-series WAPE '
             '(naive / HW / ours) | 80 % interval coverage |',
             '|---|---|---|---|---|---|---|---|']
    groups = list(dict.fromkeys(frame['group'])) + ['all']
    for group in groups:
        part = frame if group == 'all' else frame[frame['group'] == group]
        total = part['actual'].sum()
        naive, hw, ours = (part[c].sum() / total
                           for c in ('err_naive', 'err_hw', 'err_ours'))
        best = min(naive, hw)
        per_series = [
            (part[c] / part['actual'].where(part['actual'] > 0)).median()
            for c in ('err_naive', 'err_hw', 'err_ours')]
        coverage = part['covered'].sum() / part['hours'].sum()
        lines.append(
            f'| {group} | {len(part)} | {naive:.3f} | {hw:.3f} | '
            f'{ours:.3f} | {100 * (ours - best) / best:+.1f} % | '
            f'{per_series[0]:.3f} / {per_series[1]:.3f} / '
            f'{per_series[2]:.3f} | {100 * coverage:.1f} % |')
    chosen = collections.Counter(frame['method'])
    lines.append('')
    lines.append('methods chosen by validation: ' + ', '.join(
        f'{m} {n}' for m, n in chosen.most_common()))
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clients', type=int, default=20,
                        help='busiest ServeGen clients per model (0: none)')
    parser.add_argument('--sarimax', action='store_true',
                        help='add SARIMAX to the candidate methods (slow)')
    parser.add_argument('--dev', action='store_true',
                        help='evaluate on the development window instead: '
                             'drop the held-out 48 h first, so the 48 h '
                             'before them are the target')
    parser.add_argument('--folds', type=int, default=forecast.DEFAULT_FOLDS,
                        help='validation folds of 48 h inside the history')
    args = parser.parse_args(argv)
    methods = forecast.DEFAULT_METHODS + (('sarimax',) if args.sarimax
                                          else ())
    root = datasets.data_dir()
    rows = []
    offset = HOLDOUT if args.dev else 0
    evaluate('servegen-model', servegen_models(root), rows, methods,
             args.folds, offset)
    if args.clients:
        evaluate('servegen-client', servegen_clients(root, args.clients),
                 rows, methods, args.folds, offset)
    evaluate('helios-vc', helios_vcs(root), rows, methods, args.folds,
             offset)
    evaluate('philly', philly(root), rows, methods, args.folds, offset)
    window = ('development window: the 48 h before the held-out ones'
              if args.dev else f'hold-out: last {HOLDOUT} h of every '
              'series, never fitted')
    print(f'{window}; WAPE pooled over the series and hours of each group')
    print(report(rows))
    return 0


if __name__ == '__main__':
    sys.exit(main())
