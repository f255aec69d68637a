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

Series (from ``kcloud_analyzer.common.datasets.data_dir()``), by group:

* ``servegen-model``: Alibaba ServeGen hourly total request rate of each
  model with 14 days of data (m-large, m-mid, m-small); the two one-day
  models are too short to hold out 48 hours and still validate;
* ``servegen-client``: hourly request rate of the busiest clients of those
  models (``--clients`` per model, ranked by their volume before the
  held-out window);
* ``helios-vc``: Helios (SenseTime Earth) GPUs allocated per virtual
  cluster, hourly means of the per-minute series (31 days);
* ``helios-vc-percent``: the same clusters' allocation ratio in percent
  (a bounded metric: 0-100);
* ``philly``: Philly active nodes, hourly (2.5 months);
* ``genai-requests``: Alibaba GenAI (Stable Diffusion) serving requests
  per hour, from the 23-day request log, one series per request type with
  at least 1,000 requests. No method or constant of the forecast module was
  chosen on this source.

The Azure LLM inference and Mooncake traces hold about one hour each: too
short for hourly forecasts, so they are not used here.

The LAST 48 HOURS of every series are held out: they are never passed to
any fit, validation or method choice. The baselines (daily naive: the last
day repeated; weekly naive: the same hours a week before; Holt-Winters:
additive trend and day season fitted on the same history) are computed in
the same run, on the same window. Per group the table gives the mean over
series of the per-series WAPE of each, ours relative to the better
baseline of the group, the median over series of ours over the best
baseline of that series (robust to the few series whose held-out hours are
near zero and dominate the means), the coverage of the 80 % interval
(pooled over the group's series and hours), and the mean seconds one
forecast took.

The constants of :mod:`kcloud_analyzer.cost_model.forecast` were chosen on
a development window of the ServeGen, Helios GPU-count and Philly series
(``--dev --groups servegen-model,servegen-client,helios-vc,philly``: the
48 hours just before the held-out window, forecast from the hours before
them), never on the held-out hours nor on the groups not in
:data:`TUNED_ON`.

``--dev 2`` evaluates on the 48 hours before that development window
(forecast from the hours before them): a window the constants were not
chosen on either, to see how much their figures owe to the choice.

Run: ``.venv/bin/python tools/eval/forecast_eval.py [--clients 8]
[--dev [N]] [--write doc/source/user/forecast-evaluation.inc]
[--rows rows.csv]``
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
PERCENT = (0.0, 100.0)
COUNT = (0.0, None)
#: groups whose development window the forecast constants were chosen on
TUNED_ON = ('servegen-model', 'servegen-client', 'helios-vc', 'philly')


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


def _helios(root, column, scale=1.0):
    chosen = {}
    folder = root / 'helios_sensetime_derived' / 'earth_vc_minutely'
    for path in sorted(folder.glob('*_cluster_sequence_vc.csv.gz')):
        frame = pd.read_csv(path, usecols=['time', column],
                            parse_dates=['time'])
        hourly = frame.set_index('time')[column].resample(
            'h').mean().interpolate()
        chosen[path.name.split('_')[0]] = scale * hourly.to_numpy()
    return chosen


def helios_vcs(root):
    return _helios(root, 'running_gpu_num')


def helios_vc_percent(root):
    return _helios(root, 'gpu_utilization', scale=100.0)


def philly(root):
    frame = pd.read_csv(root / 'helios_sensetime_derived' /
                        'philly_node_sequence.csv.gz',
                        parse_dates=['time'])
    hourly = frame.set_index('time')['active'].resample('h').mean()
    return {'philly-active-nodes': hourly.interpolate().to_numpy()}


def genai_requests(root, minimum=1000):
    frame = pd.read_csv(root / 'alibaba_genai_serving_2026_dev' /
                        'lora_request_trace.csv.gz',
                        usecols=['gmt_create', 'predict_type'],
                        parse_dates=['gmt_create'])
    hours = pd.date_range(frame['gmt_create'].min().floor('h'),
                          frame['gmt_create'].max().floor('h'), freq='h')
    chosen = {}
    for kind, rows in frame.groupby('predict_type'):
        if len(rows) < minimum:
            continue
        counts = rows.set_index('gmt_create').resample('h').size()
        chosen[kind] = counts.reindex(hours, fill_value=0).to_numpy(
            dtype=float)
    return chosen


def _wape(actual, predicted):
    return forecast.wape(actual, predicted)


def evaluate(group, series, bounds, rows, methods, folds, offset=0):
    """Forecast every series; ``offset`` hours are dropped from its end."""
    low, high = bounds
    for index, (name, values) in enumerate(series.items(), start=1):
        values = values[:values.size - offset]
        history, actual = values[:-HOLDOUT], values[-HOLDOUT:]
        started = time.monotonic()
        result = forecast.forecast(history, HOLDOUT, methods=methods,
                                   folds=folds, bounds=bounds)
        seconds = time.monotonic() - started
        baselines = {
            'daily': forecast.seasonal_naive(history, HOLDOUT),
            'weekly': forecast.weekly_naive(history, HOLDOUT),
            'hw': forecast.holt_winters(history, HOLDOUT),
        }
        inside = (actual >= result.lower) & (actual <= result.upper)
        out_of_bounds = int(
            (result.lower < low).sum() +
            (0 if high is None else (result.upper > high).sum()))
        row = {'group': group, 'series': name, 'method': result.method,
               'actual': np.abs(actual).sum(),
               'wape_ours': _wape(actual, result.point),
               'covered': int(inside.sum()), 'hours': HOLDOUT,
               'out_of_bounds': out_of_bounds, 'seconds': seconds}
        for baseline, predicted in baselines.items():
            row[f'wape_{baseline}'] = _wape(actual, predicted)
        rows.append(row)
        print(f'[{group}] {index}/{len(series)} {name}: {result.method} '
              f'{row["wape_ours"]:.3f} (daily {row["wape_daily"]:.3f}, '
              f'weekly {row["wape_weekly"]:.3f}, hw {row["wape_hw"]:.3f}) '
              f'in {seconds:.1f}s', file=sys.stderr)


def summarise(rows):
    """One row per group (and ``all``) of the figures the table shows."""
    frame = pd.DataFrame(rows)
    # A series whose held-out hours are all zero has no WAPE.
    frame = frame[np.isfinite(frame[['wape_ours', 'wape_daily',
                                     'wape_weekly', 'wape_hw']]).all(axis=1)]
    summary = []
    for group in list(dict.fromkeys(frame['group'])) + ['all']:
        part = frame if group == 'all' else frame[frame['group'] == group]
        means = {c: part[f'wape_{c}'].mean()
                 for c in ('daily', 'weekly', 'hw', 'ours')}
        best = min(means['daily'], means['weekly'], means['hw'])
        per_series_best = part[['wape_daily', 'wape_weekly',
                                'wape_hw']].min(axis=1)
        summary.append({
            'group': group, 'n': len(part),
            'tuned': ('yes' if group in TUNED_ON else
                      'no' if group != 'all' else '-'),
            **means,
            'vs_best': (means['ours'] - best) / best,
            'beats': int((part['wape_ours'] < per_series_best).sum()),
            # robust to the few series whose held-out hours are near zero
            'median_ratio': float((part['wape_ours'] /
                                   per_series_best).median()),
            'seconds': float(part['seconds'].mean()),
            'coverage': part['covered'].sum() / part['hours'].sum(),
            'out_of_bounds': int(part['out_of_bounds'].sum()),
        })
    return summary


def report(rows, title):
    summary = summarise(rows)
    header = ('group', 'n', 'tuned on', 'daily-naive', 'weekly-naive',
              'Holt-Winters', 'ours', 'vs best', 'beats all 3',
              'median ratio', '80 % cover', 'outside bounds', 's/series')
    cells = [[s['group'], str(s['n']), s['tuned'], f'{s["daily"]:.3f}',
              f'{s["weekly"]:.3f}', f'{s["hw"]:.3f}', f'{s["ours"]:.3f}',
              f'{100 * s["vs_best"]:+.1f} %', f'{s["beats"]}/{s["n"]}',
              f'{s["median_ratio"]:.3f}', f'{100 * s["coverage"]:.1f} %',
              str(s['out_of_bounds']), f'{s["seconds"]:.2f}']
             for s in summary]
    widths = [max(len(h), *(len(c[i]) for c in cells))
              for i, h in enumerate(header)]
    rule = ' '.join('=' * w for w in widths)
    def line(row):
        return ' '.join(c.ljust(w)
                        for c, w in zip(row, widths, strict=True)).rstrip()

    lines = [title, '', rule, line(header), rule]
    lines += [line(row) for row in cells]
    lines.append(rule)
    chosen = collections.Counter(r['method'] for r in rows)
    lines += ['', 'Methods chosen by validation: ' + ', '.join(
        f'{m} {n}' for m, n in chosen.most_common()) + '.']
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clients', type=int, default=20,
                        help='busiest ServeGen clients per model (0: none)')
    parser.add_argument('--sarimax', action='store_true',
                        help='add SARIMAX to the candidate methods (slow)')
    parser.add_argument('--dev', nargs='?', type=int, const=1, default=0,
                        metavar='N',
                        help='evaluate on a development window instead: '
                             'drop the held-out 48 h first, so the 48 h '
                             'before them are the target (N=2: the 48 h '
                             'before those, and so on)')
    parser.add_argument('--folds', type=int, default=forecast.DEFAULT_FOLDS,
                        help='validation folds of 48 h inside the history')
    parser.add_argument('--groups', default=None,
                        help='comma-separated groups to run (default all)')
    parser.add_argument('--write', metavar='FILE',
                        help='also write the table (reStructuredText) here')
    parser.add_argument('--rows', metavar='CSV',
                        help='also write the per-series figures here')
    args = parser.parse_args(argv)
    methods = forecast.DEFAULT_METHODS + (('sarimax',) if args.sarimax
                                          else ())
    root = datasets.data_dir()
    sources = {
        'servegen-model': (lambda: servegen_models(root), COUNT),
        'servegen-client': (lambda: servegen_clients(root, args.clients),
                            COUNT),
        'helios-vc': (lambda: helios_vcs(root), COUNT),
        'helios-vc-percent': (lambda: helios_vc_percent(root), PERCENT),
        'philly': (lambda: philly(root), COUNT),
        'genai-requests': (lambda: genai_requests(root), COUNT),
    }
    if not args.clients:
        del sources['servegen-client']
    wanted = (args.groups.split(',') if args.groups else list(sources))
    rows = []
    if args.dev < 0:
        parser.error('--dev takes a window of 1 or more')
    offset = HOLDOUT * args.dev
    for group in wanted:
        load, bounds = sources[group]
        evaluate(group, load(), bounds, rows, methods, args.folds, offset)
    if args.dev == 1:
        window = 'Development window: the 48 h before the held-out ones.'
    elif args.dev:
        window = (f'Development window {args.dev}: the {HOLDOUT} h ending '
                  f'{HOLDOUT * (args.dev - 1)} h before the held-out ones.')
    else:
        window = (f'Held out: the last {HOLDOUT} h of every series, never '
                  'fitted nor tuned on.')
    text = report(rows, f'{window} Mean per-series WAPE per group.')
    print(text)
    if args.rows:
        pd.DataFrame(rows).to_csv(args.rows, index=False)
    if args.write:
        with open(args.write, 'w', encoding='utf-8') as stream:
            stream.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
