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

import numpy as np
import pandas as pd
import pytest

from kcloud_analyzer.common import datasets
from kcloud_analyzer.cost_model import forecast
from kcloud_analyzer.cost_model import realtime
from tests.unit.cost_model import cards

QUICK = ('seasonal_naive', 'weekly_naive', 'last_value', 'seasonal_median',
         'scaled_profile')


def _daily(days, seed=3, noise=5.0):
    rng = np.random.default_rng(seed)
    hours = np.arange(days * 24)
    wave = 100 + 40 * np.sin(2 * np.pi * hours / 24)
    return np.maximum(wave + rng.normal(0, noise, hours.size), 0)


def test_wape():
    assert forecast.wape([10, 10], [5, 15]) == pytest.approx(0.5)
    assert forecast.wape([0, 0], [0, 0]) == 0.0
    assert forecast.wape([0, 0], [1, 0]) == np.inf


def test_naive_methods_line_up_with_the_hours_they_forecast():
    history = np.arange(24 * 8, dtype=float)
    assert forecast.seasonal_naive(history, 30)[:24].tolist() == (
        history[-24:].tolist())
    assert forecast.seasonal_naive(history, 30)[24] == history[-24]
    assert forecast.weekly_naive(history, 2).tolist() == (
        history[-168:-166].tolist())
    # the median profile of whole days ending at the last hour
    profile = forecast.seasonal_median(history, 24)
    assert profile[0] == np.median(history[-168::24])


def test_daily_series_is_forecast_within_its_noise():
    series = _daily(11)
    history, actual = series[:-48], series[-48:]
    result = forecast.forecast(history, 48, folds=2)
    assert result.point.shape == result.lower.shape == (48,)
    assert (result.lower <= result.point).all()
    assert (result.point <= result.upper).all()
    assert forecast.wape(actual, result.point) < 0.08
    assert forecast.wape(actual, result.point) < forecast.wape(
        actual, forecast.last_value(history, 48))
    assert result.method == forecast.COMBINED
    assert set(result.validation_wape) >= set(forecast.DEFAULT_METHODS)
    coverage = ((actual >= result.lower) & (actual <= result.upper)).mean()
    assert 0.6 <= coverage <= 1.0


def test_step_series_keeps_its_last_level():
    series = np.concatenate([np.full(100, 40.0), np.full(120, 64.0)])
    result = forecast.forecast(series, 24, methods=QUICK)
    assert result.point == pytest.approx(np.full(24, 64.0))
    assert result.lower.min() >= 0.0


def test_short_series_falls_back_without_validation():
    result = forecast.forecast(np.array([3.0, 4.0, 5.0]), 5)
    assert result.method == 'last_value'
    assert result.point.tolist() == [5.0] * 5
    assert (result.upper >= result.point).all()
    with pytest.raises(ValueError):
        forecast.forecast(np.array([]), 5)


def test_forecast_usage_per_workload_after_the_last_hour():
    stamps = pd.date_range(cards.MONDAY, periods=24 * 5, freq='h')
    frame = pd.concat([
        pd.DataFrame({'workload_id': w, 'timestamp': stamps,
                      'metric': 'gpu_utilization',
                      'value': _daily(5, seed=i)})
        for i, w in enumerate(('a', 'b'))], ignore_index=True)
    frame = frame.drop(index=[10, 11])     # a gap is interpolated
    calls = []
    table = forecast.forecast_usage(
        frame, 'gpu_utilization', 12, methods=QUICK,
        progress=lambda done, total, name: calls.append((done, total)))
    assert sorted(table['workload_id'].unique()) == ['a', 'b']
    first = table[table['workload_id'] == 'a']['hour']
    assert first.iloc[0] == stamps[-1] + pd.Timedelta(hours=1)
    assert len(first) == 12
    assert calls == [(1, 2), (2, 2)]
    assert forecast.forecast_usage(frame, 'npu_utilization', 12).empty


def test_spend_forecast_per_project():
    stamps = pd.date_range(cards.MONDAY, periods=72, freq='h')
    fleet = cards.workloads(('w1', 'training', 4, 16, 1, 0, 'A100', 'p1'),
                            ('w2', 'serving', 2, 8, 0, 0, None, 'p1'))
    usage = pd.concat([
        pd.DataFrame({'workload_id': w, 'timestamp': stamps,
                      'metric': 'cpu_utilization', 'value': 50.0})
        for w in ('w1', 'w2')] + [
        # the GPU's power is measured (and nil), not estimated: the
        # energy line would follow the time-of-use tariff
        pd.DataFrame({'workload_id': 'w1', 'timestamp': stamps,
                      'metric': 'accelerator_power_watts', 'value': 0.0})],
        ignore_index=True)
    costs = realtime.compute_costs(fleet, usage, cards.card())
    table = forecast.forecast_spend(costs, 'project_id', 24, methods=QUICK)
    # constant spend: 4 x 0.05 + 16 x 0.01 + 2.00 + 2 x 0.05 + 8 x 0.01
    assert table['forecast'].to_numpy() == pytest.approx(
        np.full(24, 2.54))
    assert (table['project_id'] == 'p1').all()


def test_point_is_the_lower_quartile_of_the_best_validated_methods():
    # a noisy daily wave: yesterday alone is a poor guess
    series = _daily(12, seed=5, noise=20.0)
    result = forecast.forecast(series, 24, methods=QUICK + ('ets',),
                               folds=2)
    assert result.method == forecast.COMBINED
    ranked = sorted((m for m in result.validation_wape
                     if m != forecast.COMBINED),
                    key=result.validation_wape.get)
    assert result.members == ranked[:forecast.MEMBERS]
    forecasts = [forecast.METHODS[m][0](series, 24)
                 for m in result.members]
    expected = np.quantile(forecasts, 0.25, axis=0)
    assert result.point == pytest.approx(np.maximum(expected, 0))
    # below the median of the members wherever they disagree
    assert (result.point <= np.median(forecasts, axis=0) + 1e-9).all()
    assert result.validation_wape[forecast.COMBINED] < (
        result.validation_wape['seasonal_naive'])


def test_a_stopped_workload_is_not_forecast_at_its_old_level():
    # a busy daily wave for a week, then the workload stops for a day:
    # the methods that follow recent hours validate best on the last day
    busy = _daily(8, seed=7)
    series = np.concatenate([busy, np.full(24, 0.5)])
    result = forecast.forecast(series, 24, methods=QUICK + (
        'level_profile', 'recent_median', 'decayed_profile'), folds=1)
    assert result.members[0] == 'last_value'
    members = [forecast.METHODS[m][0](series, 24) for m in result.members]
    # the lower quartile of five is the second lowest forecast: below the
    # median that kept most of the old level
    assert result.point.mean() < np.median(members, axis=0).mean()
    assert result.point.mean() < 0.6 * busy[-24:].mean()


def _weekly(days, seed):
    """A daily wave on weekdays at a third of its level at weekends."""
    rng = np.random.default_rng(seed)
    hours = np.arange(days * 24)
    weekend = (hours // 24) % 7 >= 5
    wave = 100 + 40 * np.sin(2 * np.pi * hours / 24)
    level = np.where(weekend, 0.3, 1.0)
    return np.maximum(wave * level + rng.normal(0, 5.0, hours.size), 0)


def test_validation_ranks_weekly_naive_first_on_a_weekly_series():
    # 21 days: the two validation windows (Thursday to Sunday) hold the
    # drop to the weekend level, which only the same hours a week before
    # foresee
    series = _weekly(21, seed=2)
    result = forecast.forecast(series, 48, methods=QUICK, folds=2)
    scores = result.validation_wape
    assert result.members[0] == 'weekly_naive'
    assert scores['weekly_naive'] < 0.5 * scores['seasonal_naive']
    assert scores['weekly_naive'] < 0.5 * scores['seasonal_median']


def _noisy_level(hours, seed, scale):
    rng = np.random.default_rng(seed)
    return 200.0 + rng.normal(0.0, scale, hours)


def test_interval_covers_about_eighty_percent_of_known_noise():
    # a flat level with Gaussian noise: the 80 % interval is about
    # +-1.28 sigma; over many series its coverage is near 0.8
    covered, widths = [], []
    for seed in range(20):
        series = _noisy_level(10 * 24, seed, 10.0)
        history, actual = series[:-48], series[-48:]
        result = forecast.forecast(history, 48, methods=QUICK)
        covered.append((actual >= result.lower) & (actual <= result.upper))
        widths.append((result.upper - result.lower).mean())
    coverage = np.concatenate(covered).mean()
    assert 0.75 <= coverage <= 0.97
    # the half width follows the noise, not a fixed amount
    assert 20.0 < np.mean(widths) < 80.0


def test_interval_is_symmetric_conformal_from_validation_errors():
    series = _daily(10, seed=11, noise=8.0)
    result = forecast.forecast(series, 24, methods=QUICK, folds=2)
    half = (result.upper - result.lower) / 2.0
    assert half == pytest.approx(np.full(24, half[0]))
    assert result.upper - result.point == pytest.approx(half)
    narrow = forecast.forecast(series, 24, methods=QUICK, folds=2,
                               coverage=0.5)
    assert (narrow.upper - narrow.lower).mean() < (
        result.upper - result.lower).mean()


def _helios_percent(cluster):
    """A real percentage: GPUs allocated over the GPUs of a Helios virtual
    cluster, hourly (it sits at 100 % for hours on end)."""
    path = (datasets.data_dir() / 'helios_sensetime_derived' /
            'earth_vc_minutely' / f'{cluster}_cluster_sequence_vc.csv.gz')
    frame = pd.read_csv(path, usecols=['time', 'gpu_utilization'],
                        parse_dates=['time'])
    hourly = frame.set_index('time')['gpu_utilization'].resample('h').mean()
    return 100.0 * hourly.interpolate().to_numpy()


def test_a_real_percentage_is_forecast_within_0_and_100():
    series = _helios_percent('vcMod')[:14 * 24]
    assert series.max() == pytest.approx(100.0)
    unbounded = forecast.forecast(series, 48, methods=QUICK)
    # what the interval reached before the bounds (it could fail)
    assert unbounded.upper.max() > 100.0
    result = forecast.forecast(series, 48, methods=QUICK,
                               bounds=forecast.PERCENT_BOUNDS)
    assert result.lower.min() >= 0.0
    assert result.upper.max() <= 100.0
    assert (result.lower <= result.point).all()
    assert (result.point <= result.upper).all()


def test_usage_forecasts_take_the_bounds_of_their_metric():
    series = _helios_percent('vcMod')[:10 * 24]
    stamps = pd.date_range(cards.MONDAY, periods=series.size, freq='h')
    usage = pd.DataFrame({'workload_id': 'vc', 'timestamp': stamps,
                          'metric': 'gpu_utilization', 'value': series})
    table = forecast.forecast_usage(usage, 'gpu_utilization', 48,
                                    methods=QUICK)
    assert table['upper'].max() <= 100.0
    assert table['lower'].min() >= 0.0
    assert forecast.metric_bounds('power_watts') == (0.0, None)
    assert forecast.metric_bounds('gpu_memory_utilization') == (0.0, 100.0)


def test_counts_and_money_never_go_below_zero():
    # a series that falls to zero: the trend must not carry it below
    falling = np.concatenate([np.linspace(50, 0, 24 * 6), np.zeros(24)])
    result = forecast.forecast(falling, 48, bounds=forecast.NON_NEGATIVE,
                               methods=QUICK + ('holt_winters',))
    assert result.lower.min() >= 0.0
    assert result.point.min() >= 0.0
