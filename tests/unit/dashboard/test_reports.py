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
"""The API's documents shaped for the panels."""

import datetime
import math

import numpy as np
import pytest
from scipy import stats

from kcloud_analyzer_dashboard import reports

TODAY = datetime.date(2026, 11, 30)


def test_default_range_is_a_week_by_day():
    start, end, period = reports.date_range({}, TODAY)
    assert start == datetime.datetime(2026, 11, 24)
    assert end == datetime.datetime(2026, 12, 1)
    assert period == 'day'


def test_short_range_is_by_hour():
    start, end, period = reports.date_range(
        {'start': '2026-11-30', 'end': '2026-11-30'}, TODAY)
    assert (end - start, period) == (datetime.timedelta(days=1), 'hour')


@pytest.mark.parametrize('params, message', [
    ({'start': '2026-12-01', 'end': '2026-11-30'}, 'after'),
    ({'start': 'yesterday'}, 'YYYY-MM-DD'),
    ({'start': '2020-01-01'}, 'At most'),
    ({'period': 'week'}, 'hour or day'),
])
def test_bad_ranges_are_refused(params, message):
    with pytest.raises(reports.RangeError, match=message):
        reports.date_range(params, TODAY)


def test_cost_over_time_fills_every_period():
    start = datetime.datetime(2026, 11, 30)
    rows = [{'period_start': '2026-11-30T02:00:00Z', 'gpu': 4.0,
             'compute': 1.0, 'total': 5.0, 'currency': 'USD'}]
    labels, series = reports.cost_over_time(
        rows, start, start + datetime.timedelta(hours=4), 'hour')
    assert labels == ['11-30 00:00', '11-30 01:00', '11-30 02:00',
                      '11-30 03:00']
    assert series['gpu'] == [0.0, 0.0, 4.0, 0.0]
    assert series['energy'] == [0.0] * 4


def test_totals_by_group_names_and_orders():
    rows = [{'group': 'p1', 'gpu': 1.0, 'total': 1.0},
            {'group': 'p2', 'gpu': 5.0, 'total': 5.0},
            {'group': 'p1', 'gpu': 2.0, 'total': 2.0}]
    result = reports.totals_by_group(rows, {'p1': 'alpha'})
    assert [(label, values['total']) for label, values in result] == [
        ('p2', 5.0), ('alpha', 3.0)]


def test_metric_series_leaves_gaps():
    rollups = [
        {'metric': 'gpu_utilization', 'window_start': '2026-11-30T00:00:00Z',
         'mean': 50.0},
        {'metric': 'cpu_utilization', 'window_start': '2026-11-30T00:05:00Z',
         'mean': 20.0},
        {'metric': 'power_watts', 'window_start': '2026-11-30T00:05:00Z',
         'mean': 300.0},
    ]
    labels, series = reports.metric_series(rollups,
                                           reports.UTILISATION_METRICS)
    assert labels == ['11-30 00:00', '11-30 00:05']
    assert series == {'GPU': [50.0, None], 'CPU': [None, 20.0]}


def test_forecast_figures():
    assert reports.forecast_figures(None) is None
    assert reports.forecast_figures({'forecasts': []}) is None
    assert reports.forecast_figures({'forecasts': [
        {'forecast': 120.0, 'lower': 100.0, 'upper': 150.0,
         'currency': 'USD'}]}) == (120.0, 100.0, 150.0, 'USD')
    assert reports.forecast_figures({'forecasts': [
        {'forecast': 120.0, 'lower': 100.0, 'upper': 150.0,
         'currency': 'USD'},
        {'forecast': 30.0, 'lower': 20.0, 'upper': 40.0,
         'currency': 'USD'}]}) == (
             150.0, 150.0 - math.hypot(20.0, 10.0),
             150.0 + math.hypot(30.0, 10.0), 'USD')
    # no interval without every row's bounds, or across currencies
    assert reports.forecast_figures({'forecasts': [
        {'forecast': 120.0, 'lower': 100.0, 'upper': 150.0,
         'currency': 'USD'},
        {'forecast': 30.0, 'currency': 'USD'}]}) == (
             150.0, None, None, 'USD')
    assert reports.forecast_figures({'forecasts': [
        {'forecast': 1.0, 'lower': 0.5, 'upper': 2.0, 'currency': 'USD'},
        {'forecast': 1.0, 'lower': 0.5, 'upper': 2.0,
         'currency': 'EUR'}]})[1:3] == (None, None)


def test_a_summed_interval_never_falls_below_the_money_spent():
    rows = [{'forecast': 10.0, 'lower': 1.0, 'upper': 12.0, 'so_far': 9.5},
            {'forecast': 10.0, 'lower': 1.0, 'upper': 12.0, 'so_far': 9.5}]
    lower, upper = reports.summed_interval(rows)
    assert lower == 19.0
    assert upper == pytest.approx(20.0 + math.hypot(2.0, 2.0))


def test_summed_interval_covers_eighty_percent_of_independent_errors():
    # 12 projects, each with an exact 80 % interval of its own normal
    # (skewed widths on either side); the sum's interval must cover the
    # sum about 80 % of the time, where the sum of bounds covers ~100 %.
    rng = np.random.default_rng(12)
    z = stats.norm.ppf(0.9)
    sigma = rng.uniform(1.0, 20.0, size=12)
    centre = rng.uniform(100.0, 500.0, size=12)
    rows = [{'forecast': c, 'lower': c - z * s, 'upper': c + z * s}
            for c, s in zip(centre, sigma, strict=True)]
    lower, upper = reports.summed_interval(rows)
    totals = (centre + rng.normal(size=(20000, 12)) * sigma).sum(axis=1)
    covered = np.mean((totals >= lower) & (totals <= upper))
    assert 0.79 <= covered <= 0.81
    naive = np.mean((totals >= sum(r['lower'] for r in rows)) &
                    (totals <= sum(r['upper'] for r in rows)))
    assert naive > 0.99


def test_applied_rows_show_promised_next_to_realised():
    items = [
        {'workload_id': 'w1', 'project_id': 'p1', 'kind': 'idle_accelerator',
         'applied_change': 'delete', 'applied_at': '2026-03-02T12:30:00Z',
         'monthly_saving': 1606.0, 'realised_monthly_saving': 1540.25,
         'monthly_kwh': 233.6, 'realised_monthly_kwh': 219.0,
         'currency': 'EUR'},
        {'workload_id': 'w2', 'project_id': 'p2',
         'kind': 'oversized_compute', 'applied_change': 'resize',
         'applied_at': '2026-03-03T08:00:00Z', 'monthly_saving': 50.0,
         'realised_monthly_saving': None, 'monthly_kwh': None,
         'realised_monthly_kwh': None, 'currency': 'EUR'}]
    rows = reports.applied_rows(items, {'p1': 'research'},
                                lambda item: item['kind'].upper())
    # the latest change first; not yet realised reads '-'
    assert [r['workload_id'] for r in rows] == ['w2', 'w1']
    assert rows[0]['realised'] == '-' and rows[0]['realised_kwh'] == '-'
    # a resize's energy is not known
    assert rows[0]['promised_kwh'] == '-'
    assert rows[0]['project'] == 'p2'
    assert rows[1] == {
        'workload_id': 'w1', 'project': 'research',
        'kind': 'IDLE_ACCELERATOR', 'change': 'delete',
        'applied_at': '2026-03-02T12:30:00Z', 'promised': '1606.00 EUR',
        'realised': '1540.25 EUR', 'promised_kwh': '233.6',
        'realised_kwh': '219.0'}
