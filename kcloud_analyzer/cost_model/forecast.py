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
"""Hourly forecasts of usage and spend, with intervals.

Each series is forecast from a small set of methods scored by
rolling-origin validation on its own history (the last
:data:`DEFAULT_FOLDS` windows of ``horizon`` hours before the forecast):

* ``seasonal_naive`` - the last day repeated;
* ``weekly_naive`` - the same hours one week earlier;
* ``last_value`` - the last observed hour held flat (allocation series such
  as GPUs reserved move in steps, not in daily waves);
* ``seasonal_median`` - the median daily profile of the last week, robust to
  outages;
* ``recent_median`` - the median daily profile of the last three days;
* ``decayed_profile`` - the daily profile of the last week, each day
  weighing half the day after it;
* ``scaled_profile`` - the weekly median profile rescaled to the level of
  the last day;
* ``level_profile`` - the weekly median profile shifted to the level of the
  last six hours (a level shift shows at once);
* ``ets`` - statsmodels exponential smoothing with a damped additive trend
  and an additive daily season, fitted on log1p of the last three weeks
  (multiplicative daily waves become additive);
* ``holt_winters`` - statsmodels Holt-Winters with an additive trend and
  day season on the raw values of the last three weeks (not a default: it
  is the textbook baseline and the slowest fit);
* ``sarimax`` - statsmodels SARIMAX (1,0,0)x(0,1,1,24) on log1p; it is
  slow (seconds per fit), so only used when asked for.

The point forecast is, hour by hour, the lower quartile of the
:data:`MEMBERS` methods with the lowest validation WAPE (``combined``).
The lower quartile rather than the median: the error that counts is
absolute, the series are skewed to the right (bursts, jobs that end), and a
forecast that keeps a stopped workload's old level is wrong by many times
its actual. The 80 % interval is split-conformal: the point forecast plus
or minus the 80th percentile of the absolute validation errors of that
combination, widened by :data:`INTERVAL_WIDENING`. Only the history given
is ever read; an evaluation keeps its held-out window out of it.
"""

import dataclasses
import warnings

import numpy as np
import pandas as pd
from statsmodels.tools import sm_exceptions
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.statespace.sarimax import SARIMAX

from kcloud_analyzer.common import metrics

DAY = 24
WEEK = 7 * DAY
DEFAULT_FOLDS = 2
DEFAULT_COVERAGE = 0.8
_ETS_HISTORY = 3 * WEEK


def wape(actual, predicted):
    """Weighted absolute percentage error: sum |error| / sum |actual|."""
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    scale = np.abs(actual).sum()
    if scale == 0:
        return 0.0 if np.abs(predicted).sum() == 0 else np.inf
    return float(np.abs(actual - predicted).sum() / scale)


def _repeat(block, horizon):
    return np.resize(block, horizon)


def seasonal_naive(history, horizon):
    return _repeat(history[-DAY:], horizon)


def weekly_naive(history, horizon):
    return _repeat(history[-WEEK:], horizon)


def last_value(history, horizon):
    return np.full(horizon, history[-1], dtype=float)


def _daily_profile(history):
    days = min(7, history.size // DAY)
    return np.median(history[-days * DAY:].reshape(days, DAY), axis=0)


def seasonal_median(history, horizon):
    # The profile starts at the hour after the last day boundary of the
    # history, which is the first forecast hour because whole days are
    # taken from the end.
    return _repeat(_daily_profile(history), horizon)


def recent_median(history, horizon):
    days = min(3, history.size // DAY)
    block = history[-days * DAY:].reshape(days, DAY)
    return _repeat(np.median(block, axis=0), horizon)


def decayed_profile(history, horizon):
    days = min(7, history.size // DAY)
    block = history[-days * DAY:].reshape(days, DAY)
    weights = 0.5 ** np.arange(days)[::-1]
    return _repeat(weights @ block / weights.sum(), horizon)


def level_profile(history, horizon):
    profile = _daily_profile(history)
    shift = history[-6:].mean() - profile[-6:].mean()
    return _repeat(profile + shift, horizon)


def scaled_profile(history, horizon):
    profile = _daily_profile(history)
    level = profile.mean()
    ratio = history[-DAY:].mean() / level if level > 0 else 1.0
    return _repeat(profile * ratio, horizon)


def _fit_quietly(model, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', sm_exceptions.ConvergenceWarning)
        warnings.simplefilter('ignore', RuntimeWarning)
        warnings.simplefilter('ignore', UserWarning)
        return model.fit(**kwargs)


def _from_log(values, history):
    # The back-transform is bounded by a generous multiple of what was
    # seen so that a runaway trend cannot forecast absurd spend.
    ceiling = 2.0 * max(float(np.max(history)), 0.0) + 1.0
    return np.clip(np.expm1(values), 0.0, ceiling)


def ets(history, horizon):
    recent = np.maximum(history[-_ETS_HISTORY:], 0.0)
    # Heuristic initial states fit about three times faster than
    # estimated ones, which matters with one fit per validation fold.
    model = ExponentialSmoothing(np.log1p(recent), trend='add',
                                 damped_trend=True, seasonal='add',
                                 seasonal_periods=DAY,
                                 initialization_method='heuristic')
    fitted = _fit_quietly(model)
    return _from_log(fitted.forecast(horizon), recent)


def sarimax(history, horizon):
    recent = np.maximum(history[-_ETS_HISTORY:], 0.0)
    model = SARIMAX(np.log1p(recent), order=(1, 0, 0),
                    seasonal_order=(0, 1, 1, DAY))
    fitted = _fit_quietly(model, disp=False)
    return _from_log(fitted.forecast(horizon), recent)


def holt_winters(history, horizon, initialization='estimated'):
    """Textbook Holt-Winters (additive trend and day season), a baseline."""
    model = ExponentialSmoothing(np.asarray(history, dtype=float),
                                 trend='add', seasonal='add',
                                 seasonal_periods=DAY,
                                 initialization_method=initialization)
    return np.asarray(_fit_quietly(model).forecast(horizon), dtype=float)


def holt_winters_recent(history, horizon):
    return holt_winters(history[-_ETS_HISTORY:], horizon, 'heuristic')


METHODS = {
    'seasonal_naive': (seasonal_naive, DAY),
    'weekly_naive': (weekly_naive, WEEK),
    'last_value': (last_value, 1),
    'seasonal_median': (seasonal_median, DAY),
    'scaled_profile': (scaled_profile, DAY),
    'recent_median': (recent_median, 2 * DAY),
    'decayed_profile': (decayed_profile, DAY),
    'level_profile': (level_profile, DAY),
    'ets': (ets, 3 * DAY),
    'holt_winters': (holt_winters_recent, 3 * DAY),
    'sarimax': (sarimax, 3 * DAY),
}
DEFAULT_METHODS = ('seasonal_naive', 'weekly_naive', 'last_value',
                   'seasonal_median', 'recent_median', 'decayed_profile',
                   'scaled_profile', 'level_profile', 'ets')
#: the point forecast combines this many best-validated methods
MEMBERS = 5
MIN_MEMBERS = 3
#: the quantile, hour by hour, of the members' forecasts that is the point
#: forecast (the lower quartile; see the module's documentation)
MEMBER_QUANTILE = 0.25
COMBINED = 'combined'
#: Errors on two validation windows understate the error of the next
#: days; the conformal half-width is widened by this factor, chosen on a
#: development window (the 48 hours before the evaluation window of
#: tools/eval/forecast_eval.py, on the ServeGen, Helios GPU-count and
#: Philly series only) so that 80 % intervals cover about 80 %.
INTERVAL_WIDENING = 1.3


#: the values a percentage, and a count or an amount of money, can take
PERCENT_BOUNDS = (0.0, 100.0)
NON_NEGATIVE = (0.0, None)


def metric_bounds(metric):
    """The bounds of a canonical metric: 0-100 for percentages, at least
    zero for everything else (counts, rates, watts, money)."""
    if metrics.UNITS.get(metric) == '%':
        return PERCENT_BOUNDS
    return NON_NEGATIVE


@dataclasses.dataclass
class Forecast:
    method: str
    point: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    validation_wape: dict
    members: list


def _usable(methods, length):
    return [m for m in methods if length >= METHODS[m][1]]


def _validate(history, horizon, methods, folds):
    """Validation errors (actual - forecast) of every method.

    Origins roll back ``horizon`` hours at a time; a method joins the folds
    whose training part is long enough for it, so a method that needs a
    week of history is judged on fewer folds rather than not at all.
    """
    errors = {m: [] for m in methods}
    runs = []
    for fold in range(folds, 0, -1):
        cut = history.size - fold * horizon
        if cut < 2 * DAY:
            continue
        train, actual = history[:cut], history[cut:cut + horizon]
        run = {m: METHODS[m][0](train, horizon) for m in methods
               if train.size >= METHODS[m][1]}
        runs.append((actual, run))
        for method, predicted in run.items():
            errors[method].append(actual - predicted)
    return runs, {m: e for m, e in errors.items() if e}


def _score(runs, errors):
    scale = {}
    for method in errors:
        scale[method] = np.concatenate(
            [actual for actual, run in runs if method in run])
    return {m: wape(scale[m], scale[m] - np.concatenate(errors[m]))
            for m in errors}


def _member_quantile(forecasts):
    return np.quantile(forecasts, MEMBER_QUANTILE, axis=0)


def _combine(runs, members):
    """Errors and WAPE of the combination of ``members`` on the validation
    folds."""
    joint = [(actual, _member_quantile([run[m] for m in members]))
             for actual, run in runs if all(m in run for m in members)]
    if not joint:
        return None, None
    errors = [actual - combined for actual, combined in joint]
    score = wape(np.concatenate([actual for actual, _ in joint]),
                 np.concatenate([combined for _, combined in joint]))
    return errors, score


def forecast(history, horizon, methods=DEFAULT_METHODS,
             folds=DEFAULT_FOLDS, coverage=DEFAULT_COVERAGE, bounds=None):
    """Forecast the next ``horizon`` hours of an hourly series.

    The point forecast is, hour by hour, the lower quartile of the
    :data:`MEMBERS` methods with the lowest validation WAPE; a series with
    validation for fewer than :data:`MIN_MEMBERS` methods gets its best
    single method, and one too short to validate the last value (or the
    last day repeated). The interval is the point forecast plus or minus
    the ``coverage`` quantile of the absolute validation errors of what
    was chosen, times :data:`INTERVAL_WIDENING`.

    :param history: 1-D array of hourly values, oldest first, no gaps.
    :param bounds: ``(low, high)`` the metric can take (``high`` None for
        no upper bound), e.g. :data:`PERCENT_BOUNDS`; point and interval
        are kept inside them. Without bounds, a history never below zero
        gives forecasts never below zero.
    :returns: a :class:`Forecast` (point and interval arrays of length
        ``horizon``).
    """
    history = np.asarray(history, dtype=float)
    if history.size == 0:
        raise ValueError('cannot forecast an empty series')
    methods = _usable(methods, history.size)
    runs, errors = _validate(history, horizon, methods, folds)
    scores = _score(runs, errors)
    ranked = sorted(scores, key=scores.get)
    members = ranked[:MEMBERS]
    chosen = ranked[0] if ranked else None
    if len(members) >= MIN_MEMBERS:
        combined_errors, combined_score = _combine(runs, members)
        if combined_errors is not None:
            errors[COMBINED] = combined_errors
            scores[COMBINED] = combined_score
            chosen = COMBINED
    if chosen is not None:
        residuals = np.concatenate(errors[chosen])
    else:
        chosen = 'seasonal_naive' if history.size >= DAY else 'last_value'
        # Too short to validate: spread of the hour-to-hour steps.
        residuals = (np.diff(history) if history.size > 1
                     else np.zeros(1))

    if chosen == COMBINED:
        point = _member_quantile([METHODS[m][0](history, horizon)
                                  for m in members])
    else:
        members = [chosen]
        point = METHODS[chosen][0](history, horizon)
    half_width = INTERVAL_WIDENING * np.quantile(np.abs(residuals),
                                                 coverage)
    lower, upper = point - half_width, point + half_width
    if bounds is not None:
        low, high = bounds
        point, lower, upper = (np.clip(a, low, high)
                               for a in (point, lower, upper))
    elif history.min() >= 0:
        point, lower, upper = (np.maximum(a, 0.0)
                               for a in (point, lower, upper))
    return Forecast(chosen, point, lower, upper, scores, list(members))


def hourly_series(frame, key, time_column, value_column):
    """Hourly means per key, missing hours interpolated.

    :returns: dict key -> pandas Series indexed by hour (UTC).
    """
    series = {}
    hour = frame[time_column].dt.floor('h')
    means = frame.groupby([frame[key], hour])[value_column].mean()
    for ident, values in means.groupby(level=0, sort=True):
        values = values.droplevel(0)
        full = values.reindex(pd.date_range(values.index.min(),
                                            values.index.max(), freq='h'))
        series[ident] = full.interpolate(limit_direction='both')
    return series


def forecast_table(series, horizon, progress=None, **kwargs):
    """Forecast many hourly series.

    :param series: dict name -> hourly pandas Series (DatetimeIndex).
    :param progress: optional callable(done, total, name) for long runs.
    :returns: DataFrame ``series, hour, forecast, lower, upper, method``.
    """
    parts = []
    for done, (name, values) in enumerate(series.items(), start=1):
        result = forecast(values.to_numpy(dtype=float), horizon, **kwargs)
        hours = pd.date_range(values.index[-1] + pd.Timedelta(hours=1),
                              periods=horizon, freq='h')
        parts.append(pd.DataFrame({
            'series': name, 'hour': hours, 'forecast': result.point,
            'lower': result.lower, 'upper': result.upper,
            'method': result.method}))
        if progress is not None:
            progress(done, len(series), name)
    if not parts:
        return pd.DataFrame(columns=['series', 'hour', 'forecast', 'lower',
                                     'upper', 'method'])
    return pd.concat(parts, ignore_index=True)


def forecast_usage(usage, metric, horizon, progress=None, **kwargs):
    """Forecast each workload's hourly series of one usage metric."""
    chosen = usage.loc[usage['metric'] == metric]
    series = hourly_series(chosen, 'workload_id', 'timestamp', 'value')
    kwargs.setdefault('bounds', metric_bounds(metric))
    table = forecast_table(series, horizon, progress=progress, **kwargs)
    return table.rename(columns={'series': 'workload_id'})


def forecast_spend(costs, by, horizon, progress=None, **kwargs):
    """Forecast hourly spend per workload, project or accelerator model.

    :param costs: the frame of
        :func:`kcloud_analyzer.cost_model.realtime.compute_costs`.
    :param by: ``'workload_id'``, ``'project_id'`` or ``'accelerator'``.
    """
    spend = costs.groupby([by, 'hour'])['cost_per_hour'].sum().reset_index()
    series = {}
    for ident, group in spend.groupby(by, sort=True):
        values = group.set_index('hour')['cost_per_hour']
        # An hour without a row cost nothing: the workload was not there.
        series[ident] = values.reindex(
            pd.date_range(values.index.min(), values.index.max(), freq='h'),
            fill_value=0.0)
    kwargs.setdefault('bounds', NON_NEGATIVE)
    table = forecast_table(series, horizon, progress=progress, **kwargs)
    return table.rename(columns={'series': by})
