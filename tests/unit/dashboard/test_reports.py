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

import pytest

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
         'currency': 'USD'}]}) == (150.0, None, None, 'USD')
