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
"""The API's documents shaped for the panels' charts and figures.

Plain functions, free of Django and Horizon, tested without either.
Times are naive UTC datetimes, as the API's ``...Z`` timestamps are.
"""

import datetime
import math

COST_LINES = ('compute', 'gpu', 'npu', 'storage', 'network', 'energy')
PERIODS = ('hour', 'day')
#: the longest date range a page asks for, and the most hourly bars
MAX_DAYS = 366
MAX_HOURLY_BARS = 24 * 14
DEFAULT_DAYS = 7

UTILISATION_METRICS = ('gpu_utilization', 'gpu_memory_utilization',
                       'npu_utilization', 'npu_memory_utilization',
                       'cpu_utilization', 'memory_utilization')
POWER_METRICS = ('power_watts', 'accelerator_power_watts')
#: chart legends of the metrics
METRIC_LABELS = {
    'gpu_utilization': 'GPU', 'gpu_memory_utilization': 'GPU memory',
    'npu_utilization': 'NPU', 'npu_memory_utilization': 'NPU memory',
    'cpu_utilization': 'CPU', 'memory_utilization': 'Memory',
    'power_watts': 'Host', 'accelerator_power_watts': 'Accelerators',
}


class RangeError(ValueError):
    """A date range a user gave that cannot be shown."""


def parse_time(text):
    """A naive UTC datetime from the API's ISO 8601 text."""
    if text is None:
        return None
    moment = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(
            tzinfo=None)
    return moment


def date_range(params, today):
    """The (start, end, period) a page shows: dates ``start`` and ``end``
    (both included) and ``period`` (hour or day) from the query string,
    by default the last :data:`DEFAULT_DAYS` days ending ``today``, by
    hour when two days or fewer, else by day.

    Returns datetimes: start at midnight, end at the next midnight.
    """
    try:
        end = (datetime.date.fromisoformat(params['end'])
               if params.get('end') else today)
        start = (datetime.date.fromisoformat(params['start'])
                 if params.get('start')
                 else end - datetime.timedelta(days=DEFAULT_DAYS - 1))
    except ValueError:
        raise RangeError('Dates are written YYYY-MM-DD.')
    if start > end:
        raise RangeError('The start date is after the end date.')
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise RangeError('At most %d days at a time.' % MAX_DAYS)
    period = params.get('period') or ('hour' if days <= 2 else 'day')
    if period not in PERIODS:
        raise RangeError('The period is hour or day.')
    if period == 'hour' and days * 24 > MAX_HOURLY_BARS:
        period = 'day'
    start_at = datetime.datetime.combine(start, datetime.time())
    end_at = datetime.datetime.combine(end + datetime.timedelta(days=1),
                                       datetime.time())
    return start_at, end_at, period


def periods(start, end, period):
    """Every period start from ``start`` up to ``end`` (excluded)."""
    step = datetime.timedelta(hours=1 if period == 'hour' else 24)
    moments, moment = [], start
    while moment < end:
        moments.append(moment)
        moment += step
    return moments


def period_label(moment, period):
    return moment.strftime('%m-%d %H:00' if period == 'hour' else '%m-%d')


def cost_over_time(summary_rows, start, end, period):
    """Labels and one series per cost line, every period of the range
    present (zero where nothing was recorded), from the rows of a cost
    summary grouped by project."""
    moments = periods(start, end, period)
    index = {moment: i for i, moment in enumerate(moments)}
    series = {line: [0.0] * len(moments) for line in COST_LINES}
    for row in summary_rows:
        i = index.get(parse_time(row['period_start']))
        if i is None:
            continue
        for line in COST_LINES:
            series[line][i] += row.get(line) or 0.0
    return [period_label(m, period) for m in moments], series


def totals_by_group(summary_rows, names=None):
    """``(label, {line: amount, 'total': amount})`` per group of a cost
    summary, summed over its periods, the largest total first; groups are
    shown by ``names[group]`` where given."""
    names = names or {}
    totals = {}
    for row in summary_rows:
        group = totals.setdefault(row['group'], dict.fromkeys(
            COST_LINES + ('idle', 'total'), 0.0))
        for key in group:
            group[key] += row.get(key) or 0.0
    ordered = sorted(totals.items(), key=lambda item: -item[1]['total'])
    return [(names.get(group) or group or '(none)', values)
            for group, values in ordered]


def month_start(now):
    return datetime.datetime(now.year, now.month, 1)


def total(summary_rows):
    """The total and currency of a cost summary's rows."""
    amount = sum(row['total'] for row in summary_rows)
    currencies = {row['currency'] for row in summary_rows}
    return amount, (currencies.pop() if len(currencies) == 1 else None)


def forecast_figures(document):
    """``(month_end, lower, upper, currency)`` of a month-end forecast of
    ``GET /api/v1/cost/forecast`` (one row per project), or None when it
    has none.

    Several projects are summed, and so is their 80 % interval under the
    assumption that the projects' forecast errors are independent: each
    side's half-width is the square root of the sum of the projects'
    squared half-widths on that side (the sum of the bounds would be the
    interval only if every project missed in the same direction, and would
    cover far more than 80 %). The lower bound never falls below what the
    projects have spent so far. Rows in several currencies, or a row
    without bounds, give no interval.
    """
    rows = (document or {}).get('forecasts') or []
    if not rows:
        return None
    currencies = {row.get('currency') for row in rows}
    currency = currencies.pop() if len(currencies) == 1 else None
    if len(rows) == 1:
        row = rows[0]
        return row['forecast'], row.get('lower'), row.get('upper'), currency
    amount = sum(row['forecast'] for row in rows)
    if currency is None or any(row.get('lower') is None or
                               row.get('upper') is None for row in rows):
        return amount, None, None, currency
    return (amount,) + summed_interval(rows) + (currency,)


def summed_interval(rows):
    """``(lower, upper)`` of the sum of forecasts with independent errors:
    the centre is the sum of ``forecast``, each side's half-width the root
    of the summed squared half-widths; the lower bound is at least the sum
    of ``so_far`` (money already spent)."""
    amount = sum(row['forecast'] for row in rows)
    below = math.sqrt(sum((row['forecast'] - row['lower']) ** 2
                          for row in rows))
    above = math.sqrt(sum((row['upper'] - row['forecast']) ** 2
                          for row in rows))
    spent = sum(row.get('so_far') or 0.0 for row in rows)
    return max(amount - below, spent, 0.0), amount + above


def _money(amount, currency):
    return '-' if amount is None else '%.2f %s' % (amount, currency or '')


def applied_rows(recommendations, project_names, kind_name):
    """Rows of the applied recommendations: what each promised next to
    what it realised (``-`` until the window after the change has
    passed), the latest change first."""
    rows = []
    for item in sorted(recommendations,
                       key=lambda r: r.get('applied_at') or '',
                       reverse=True):
        currency = item.get('currency')
        kwh = item.get('realised_monthly_kwh')
        promised_kwh = item.get('monthly_kwh')
        rows.append({
            'workload_id': item['workload_id'],
            'project': (project_names.get(item['project_id'])
                        or item['project_id']),
            'kind': kind_name(item),
            'change': (item.get('applied_change') or '-').replace('_', ' '),
            'applied_at': item.get('applied_at') or '-',
            'promised': _money(item.get('monthly_saving'), currency),
            'realised': _money(item.get('realised_monthly_saving'),
                               currency),
            'promised_kwh': ('-' if promised_kwh is None
                             else '%.1f' % promised_kwh),
            'realised_kwh': '-' if kwh is None else '%.1f' % kwh,
        })
    return rows


def metric_series(rollups, names):
    """Labels (window starts) and one series of means per metric in
    ``names`` that has data, named by :data:`METRIC_LABELS`; windows a
    metric lacks are ``None``."""
    moments = sorted({parse_time(r['window_start']) for r in rollups
                      if r['metric'] in names})
    index = {moment: i for i, moment in enumerate(moments)}
    series = {}
    for rollup in rollups:
        if rollup['metric'] not in names:
            continue
        values = series.setdefault(rollup['metric'], [None] * len(moments))
        values[index[parse_time(rollup['window_start'])]] = rollup['mean']
    ordered = {METRIC_LABELS.get(name, name): series[name]
               for name in names if name in series}
    labels = [m.strftime('%m-%d %H:%M') for m in moments]
    return labels, ordered


def savings_by_kind(recommendations, label):
    """``(kind label, {'saving': amount})`` rows, the largest first."""
    totals = {}
    for item in recommendations:
        name = label(item)
        totals[name] = totals.get(name, 0.0) + (item['monthly_saving'] or 0)
    return [(name, {'saving': amount}) for name, amount in
            sorted(totals.items(), key=lambda item: -item[1])]
