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
"""Month-end spend: the cost so far this month and a forecast of the rest.

For each project or workload, the hourly spend (an hour without a cost
record cost nothing) is forecast from the current hour to the end of the
month (UTC) with :func:`kcloud_analyzer.cost_model.forecast.forecast`; the
month-end figure is what was spent since the first of the month plus the
sum of the forecast. The 80 % interval of the rest is the sum of the
hourly interval bounds: the errors of one series' hours move together
more often than not, so this errs on the wide side, and it is never below
zero.
"""

import numpy as np
import pandas as pd

from kcloud_analyzer.cost_model import forecast

#: hours of history the forecast reads, before the current hour (four
#: weeks: the weekly methods need two)
HISTORY_HOURS = 28 * 24


def _utc(moment):
    moment = pd.Timestamp(moment)
    if moment.tzinfo is None:
        return moment.tz_localize('UTC')
    return moment.tz_convert('UTC')


def month_bounds(now):
    """(first instant of the month, first instant of the next) in UTC."""
    start = _utc(now).normalize().replace(day=1)
    return start, start + pd.offsets.MonthBegin(1)


def history_start(now):
    """The first hour :func:`month_end` reads."""
    start, _ = month_bounds(now)
    return min(start, _utc(now).floor('h')
               - pd.Timedelta(hours=HISTORY_HOURS))


def month_end(spend, now, coverage=forecast.DEFAULT_COVERAGE, **kwargs):
    """Forecast each key's spend to the end of the month.

    :param spend: frame ``key, hour, cost`` (hour in UTC; one row per key
        and hour with a cost, from at least :func:`history_start`).
    :param now: the current instant.
    :param kwargs: passed to :func:`~kcloud_analyzer.cost_model.forecast.
        forecast` (e.g. ``methods``).
    :returns: frame indexed by key with ``so_far`` (spent in the month up
        to now), ``rest``, ``rest_lower``, ``rest_upper`` (the forecast of
        the hours left), ``month_end``, ``lower``, ``upper``,
        ``hours_left``, ``method``.
    """
    start, end = month_bounds(now)
    current = _utc(now).floor('h')
    hours_left = int((end - current) / pd.Timedelta(hours=1)) - 1
    spend = spend.assign(hour=pd.to_datetime(spend['hour'], utc=True))
    spend = spend.loc[spend['hour'] <= current]
    rows = []
    for key, group in spend.groupby('key', sort=True):
        values = group.groupby('hour')['cost'].sum()
        first = max(values.index.min(), current - pd.Timedelta(
            hours=HISTORY_HOURS))
        hourly = values.reindex(pd.date_range(first, current, freq='h'),
                                fill_value=0.0)
        so_far = float(values.loc[values.index >= start].sum())
        if hours_left > 0:
            result = forecast.forecast(hourly.to_numpy(dtype=float),
                                       hours_left, coverage=coverage,
                                       **kwargs)
            rest = float(result.point.sum())
            low = max(float(result.lower.sum()), 0.0)
            high = max(float(result.upper.sum()), rest)
            method = result.method
        else:
            rest = low = high = 0.0
            method = None
        rows.append({'key': key, 'so_far': so_far, 'rest': rest,
                     'rest_lower': low, 'rest_upper': high,
                     'month_end': so_far + rest, 'lower': so_far + low,
                     'upper': so_far + high, 'hours_left': hours_left,
                     'method': method})
    columns = ['so_far', 'rest', 'rest_lower', 'rest_upper', 'month_end',
               'lower', 'upper', 'hours_left', 'method']
    if not rows:
        return pd.DataFrame(columns=columns, index=pd.Index([], name='key'))
    frame = pd.DataFrame(rows).set_index('key')
    frame[['lower', 'rest_lower']] = np.maximum(
        frame[['lower', 'rest_lower']], 0.0)
    return frame[columns]
