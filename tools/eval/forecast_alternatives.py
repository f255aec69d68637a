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
"""Measure alternatives to the forecast's rules on development windows.

Only development windows of the groups the forecast was tuned on
(:data:`forecast_eval.TUNED_ON`) are read: window 1 is the 48 hours before
the held-out ones (``forecast_eval.py --dev``), window 2 the 48 hours
before window 1, and so on. The held-out hours (window 0) are refused:
they are dropped before anything else is done.

Every candidate method (the defaults plus the weekly profiles below) is run
once per validation fold and on the whole history; each alternative then
re-applies the choice, combination and interval rules to those forecasts,
so the alternatives differ only in their rules. The alternatives:

* ``current``: the module's rules (lower quartile of the five
  best-validated methods, +-1.3 x the 80th percentile of absolute
  validation errors);
* ``conformal``: the same interval without the 1.3 factor, at the
  finite-sample conformal rank ``ceil((n + 1) 0.8)`` of ``n`` errors;
* ``conformal-x``: the same, from the errors of the rule applied with the
  methods ranked on the OTHER fold (errors that did not choose the methods
  they judge);
* ``signed``: asymmetric conformal bounds from the 10th and 90th signed
  error quantiles;
* ``conformal x1.3``: the finite-sample rank with the 1.3 factor;
* ``+weekly_median``, ``+weekly_level``, ``+weekly_median,level``: weekly
  profiles as more candidates, with two weeks of history or more (median
  of the same hour of the week over the last four weeks at most; the same
  shifted to the level of the last six hours);
* ``weekly gate``: when, over the last two weeks of the history, the hour
  a week before predicts the hour better than 0.7 x the hour a day before
  does (three weeks of history needed), the lower quartile of the three
  weekly methods (weekly naive and the two weekly profiles) instead;
* ``best single``: the best-validated method instead of the combination
  when it validated better; ``best single at half``: only when its
  validation WAPE is under half the combination's.
* ``+gbm``: scikit-learn's ``HistGradientBoostingRegressor`` as one more
  candidate (settings and features fixed before measuring, see
  :func:`gbm`); ``gbm alone``: it alone. The CPU seconds per series of its
  fits and of the exponential smoothing's are printed too.

Run: ``.venv/bin/python tools/eval/forecast_alternatives.py [--windows 1,2]
[--clients 8]``
"""

import argparse
import math
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

import forecast_eval
from kcloud_analyzer.common import datasets
from kcloud_analyzer.cost_model import forecast

H = forecast_eval.HOLDOUT
DAY = forecast.DAY
WEEK = forecast.WEEK
DEFAULT = list(forecast.DEFAULT_METHODS)
FOLDS = forecast.DEFAULT_FOLDS


def _weekly_block(history):
    weeks = min(4, history.size // WEEK)
    return history[-weeks * WEEK:].reshape(weeks, WEEK)


def weekly_median(history, horizon):
    return np.resize(np.median(_weekly_block(history), axis=0), horizon)


def weekly_level(history, horizon):
    profile = np.median(_weekly_block(history), axis=0)
    shift = history[-6:].mean() - profile[-6:].mean()
    return np.resize(profile + shift, horizon)


GBM_PARAMS = {'max_iter': 100, 'learning_rate': 0.1, 'max_leaf_nodes': 15,
              'early_stopping': False, 'random_state': 0}


def _gbm_features(values, level, targets, block, weekday, week_lag):
    """Feature rows for target hours ``targets`` forecast ``block`` days
    ahead: everything is read at or before ``targets - DAY * block``."""
    lag = targets - DAY * block
    columns = [targets % DAY, np.full(targets.size, block, dtype=float),
               values[lag], level[lag]]
    if weekday:
        columns.append((targets // DAY) % 7)
    if week_lag:
        back = targets - WEEK * -(-DAY * block // WEEK)
        columns.append(np.where(back >= 0, values[np.maximum(back, 0)],
                                np.nan))
    return np.column_stack(columns).astype(float)


def gbm(history, horizon):
    """Gradient boosting on log1p of the history (raw values if it goes
    below zero): one model for every hour ahead, no recursion.

    Features of a target hour ``d`` days ahead (``d`` = 1 for the first 24
    hours, 2 for the next, at most 7): the hour of the day, ``d``, the value
    ``24 d`` hours before the target (never after the forecast origin), the
    mean of the 24 hours ending there, the day of the week (two weeks of
    history or more) and the value a week before (a week plus the horizon
    of history or more; missing where it falls before the history's
    start). Training rows: every hour of the history for each ``d``.
    Horizons beyond a week repeat the forecast week.
    """
    history = np.asarray(history, dtype=float)
    logged = history.min() >= 0
    values = np.log1p(history) if logged else history
    n = values.size
    # mean of the 24 h ending at each hour (fewer at the start)
    cumulative = np.cumsum(values)
    start = np.maximum(np.arange(n) - DAY, -1)
    level = (cumulative - np.where(start >= 0, cumulative[start], 0.0)) / (
        np.arange(n) - start)
    blocks = min(-(-horizon // DAY), 7)
    weekday = n >= 2 * WEEK
    week_lag = n >= WEEK + DAY * (blocks + 1)
    rows, target = [], []
    for block in range(1, blocks + 1):
        targets = np.arange(DAY * block, n)
        rows.append(_gbm_features(values, level, targets, block, weekday,
                                  week_lag))
        target.append(values[targets])
    model = HistGradientBoostingRegressor(**GBM_PARAMS)
    with threadpool_limits(1):
        model.fit(np.concatenate(rows), np.concatenate(target))
        lead = np.arange(1, min(horizon, blocks * DAY) + 1)
        targets = n - 1 + lead
        block = -(-lead // DAY)
        features = np.concatenate([
            _gbm_features(np.append(values, np.full(blocks * DAY, np.nan)),
                          np.append(level, np.full(blocks * DAY, np.nan)),
                          targets[block == b], b, weekday, week_lag)
            for b in range(1, blocks + 1)])
        predicted = model.predict(features)
    predicted = np.resize(predicted, horizon)
    if logged:
        ceiling = 2.0 * max(float(history.max()), 0.0) + 1.0
        return np.clip(np.expm1(predicted), 0.0, ceiling)
    return predicted


METHODS = dict(forecast.METHODS)
METHODS['weekly_median'] = (weekly_median, 2 * WEEK)
METHODS['weekly_level'] = (weekly_level, 2 * WEEK)
METHODS['gbm'] = (gbm, 3 * forecast.DAY)
CANDIDATES = DEFAULT + ['weekly_median', 'weekly_level', 'gbm']
WEEKLY = ['weekly_naive', 'weekly_median', 'weekly_level']


def prepare(values, window, bounds):
    """Forecasts of every candidate on each fold and on the history."""
    if window < 1:
        raise ValueError('window 0 is the held-out one')
    values = values[:values.size - window * H]
    history, actual = values[:-H], values[-H:]
    cpu = {}

    def run(method, train):
        started = time.process_time()
        predicted = METHODS[method][0](train, H)
        cpu[method] = cpu.get(method, 0.0) + time.process_time() - started
        return predicted

    folds = []
    for fold in range(FOLDS, 0, -1):
        cut = history.size - fold * H
        if cut < 2 * forecast.DAY:
            continue
        train = history[:cut]
        folds.append((history[cut:cut + H],
                      {m: run(m, train) for m in CANDIDATES
                       if train.size >= METHODS[m][1]}))
    final = {m: run(m, history) for m in CANDIDATES
             if history.size >= METHODS[m][1]}
    return {'history': history, 'actual': actual, 'folds': folds,
            'final': final, 'bounds': bounds, 'cpu': cpu,
            'baselines': [forecast.seasonal_naive(history, H),
                          forecast.weekly_naive(history, H),
                          forecast.holt_winters(history, H)]}


def _scores(folds, methods):
    scores = {}
    for method in methods:
        pairs = [(a, run[method]) for a, run in folds if method in run]
        if pairs:
            scores[method] = forecast.wape(
                np.concatenate([a for a, _ in pairs]),
                np.concatenate([p for _, p in pairs]))
    return scores


def _combine(forecasts):
    return np.quantile(forecasts, forecast.MEMBER_QUANTILE, axis=0)


def _rank(values, coverage):
    values = np.sort(values)
    rank = math.ceil((values.size + 1) * coverage)
    return values[min(rank, values.size) - 1]


def apply(case, methods=DEFAULT, interval='current', single=None):
    """Point, lower and upper of one series under one set of rules."""
    folds = case['folds']
    methods = [m for m in methods if m in case['final']]
    scores = _scores(folds, methods)
    members = sorted(scores, key=scores.get)[:forecast.MEMBERS]

    def errors_of(chosen):
        return [(a, a - _combine([run[m] for m in chosen]))
                for a, run in folds if all(m in run for m in chosen)]

    errors = errors_of(members)
    best = min(scores, key=scores.get)
    if single is not None:
        actual = np.concatenate([a for a, _ in errors])
        combined = forecast.wape(
            actual, actual - np.concatenate([e for _, e in errors]))
        if scores[best] < single * combined:
            members = [best]
            errors = errors_of(members)
    point = _combine([case['final'][m] for m in members])
    residuals = np.concatenate([e for _, e in errors])
    if interval == 'conformal-x':
        crossed = []
        for index, (actual, run) in enumerate(folds):
            others = folds[:index] + folds[index + 1:]
            other = {m: s for m, s in _scores(others, methods).items()
                     if m in run}
            chosen = sorted(other, key=other.get)[:forecast.MEMBERS]
            crossed.append(actual - _combine([run[m] for m in chosen]))
        residuals = np.concatenate(crossed)
    if interval == 'current':
        half = forecast.INTERVAL_WIDENING * np.quantile(np.abs(residuals),
                                                        0.8)
        lower, upper = point - half, point + half
    elif interval == 'signed':
        lower = point - _rank(-residuals, 0.9)
        upper = point + _rank(residuals, 0.9)
    else:
        factor = 1.3 if interval == 'conformal x1.3' else 1.0
        half = factor * _rank(np.abs(residuals), 0.8)
        lower, upper = point - half, point + half
    low, high = case['bounds']
    return tuple(np.clip(a, low, high) for a in (point, lower, upper))


def weekly_ratio(history, weeks=2):
    """WAPE of the hour a week before over that of the hour a day before,
    on the last ``weeks`` weeks of the history."""
    if history.size < (weeks + 1) * WEEK:
        return np.inf
    hours = np.arange(history.size - weeks * WEEK, history.size)
    daily = forecast.wape(history[hours], history[hours - forecast.DAY])
    return forecast.wape(history[hours], history[hours - WEEK]) / max(
        daily, 1e-12)


def gated(case, threshold=0.7):
    if weekly_ratio(case['history']) < threshold:
        return apply(case, methods=WEEKLY)
    return apply(case)


ALTERNATIVES = {
    'current': lambda c: apply(c),
    'conformal': lambda c: apply(c, interval='conformal'),
    'conformal-x': lambda c: apply(c, interval='conformal-x'),
    'signed': lambda c: apply(c, interval='signed'),
    'conformal x1.3': lambda c: apply(c, interval='conformal x1.3'),
    '+weekly_median': lambda c: apply(c, DEFAULT + ['weekly_median']),
    '+weekly_level': lambda c: apply(c, DEFAULT + ['weekly_level']),
    '+weekly_median,level': lambda c: apply(
        c, DEFAULT + ['weekly_median', 'weekly_level']),
    'weekly gate': gated,
    'best single': lambda c: apply(c, single=1.0),
    'best single at half': lambda c: apply(c, single=0.5),
    '+gbm': lambda c: apply(c, DEFAULT + ['gbm']),
    'gbm alone': lambda c: apply(c, ['gbm']),
}


def summary_line(cases, rule):
    cells = []
    for group in dict.fromkeys(c['group'] for c in cases):
        ours, base, ratios, covered, hours = [], [], [], 0, 0
        for case in (c for c in cases if c['group'] == group):
            point, lower, upper = rule(case)
            actual = case['actual']
            scores = [forecast.wape(actual, b) for b in case['baselines']]
            mine = forecast.wape(actual, point)
            if not np.isfinite([mine] + scores).all():
                continue
            ours.append(mine)
            base.append(scores)
            ratios.append(mine / min(scores))
            covered += int(((actual >= lower) & (actual <= upper)).sum())
            hours += actual.size
        best = np.mean(base, axis=0).min()
        mean = np.mean(ours)
        cells.append(f'{group} {mean:.3f} {100 * (mean - best) / best:+.1f} '
                     f'% med {np.median(ratios):.3f} cover '
                     f'{100 * covered / hours:.1f} %')
    return ' | '.join(cells)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--windows', default='1,2',
                        help='development windows, 1 = the 48 h before '
                             'the held-out ones')
    parser.add_argument('--clients', type=int, default=8)
    args = parser.parse_args(argv)
    windows = [int(w) for w in args.windows.split(',')]
    if min(windows) < 1:
        parser.error('window 0 is held out')
    root = datasets.data_dir()
    sources = {
        'servegen-model': lambda: forecast_eval.servegen_models(root),
        'servegen-client': lambda: forecast_eval.servegen_clients(
            root, args.clients),
        'helios-vc': lambda: forecast_eval.helios_vcs(root),
        'philly': lambda: forecast_eval.philly(root),
    }
    assert set(sources) == set(forecast_eval.TUNED_ON)
    loaded = {group: load() for group, load in sources.items()}
    for window in windows:
        started, cpu = time.monotonic(), time.process_time()
        cases = [dict(group=group, name=name,
                      **prepare(values, window, forecast_eval.COUNT))
                 for group, series in loaded.items()
                 for name, values in series.items()]
        print(f'Development window {window} ({len(cases)} series, '
              f'{time.monotonic() - started:.0f} s, '
              f'{time.process_time() - cpu:.0f} s CPU): mean WAPE, vs '
              'the better baseline, median ratio, 80 % cover')
        for name, rule in ALTERNATIVES.items():
            print(f'  {name:22} {summary_line(cases, rule)}')
        for group in loaded:
            part = [c['cpu'] for c in cases if c['group'] == group]
            print(f'  CPU s/series {group}: ' + ', '.join(
                f'{m} {np.mean([c.get(m, 0.0) for c in part]):.3f}'
                for m in ('ets', 'gbm')) + ' (folds and final fit)')
        ratios = sorted((weekly_ratio(c['history']), c['name'])
                        for c in cases)
        print('  lowest weekly ratios (the gate needs < 0.7): ' + ', '.join(
            f'{n} {r:.2f}' for r, n in ratios[:3]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
