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
"""Pricing on integer codes gives the same figures whatever the form of
the usage: plain, object or categorical columns, shuffled rows, a long
sparse window, time zones whose offset changes inside an hour."""

import datetime
import types

import numpy as np
import pandas as pd
import pytest

from kcloud_analyzer.common import metrics
from kcloud_analyzer.common import usage_codes
from kcloud_analyzer.cost_model import energy_billing
from kcloud_analyzer.cost_model import realtime
from kcloud_analyzer.jobs import frames
from kcloud_analyzer.workload_analyzer import energy
from tests.unit.cost_model import cards

WORKLOADS = (('w1', 'training', 4, 16, 2, 0, 'A100', 'p1'),
             ('w2', 'serving', 2, 8, 0, 2, 'NPU-X', 'p2'),
             ('w3', 'inference', 8, 32, 1, 0, 'A100', 'p1'))


def _usage(seed=0):
    """Three workloads over a day: w1 with host power, w2 with board power
    (a gap, a redelivered sample and an off-grid one), w3 without power."""
    rng = np.random.default_rng(seed)
    stamps = pd.date_range('2026-03-28T20:00Z', periods=24 * 12,
                           freq='5min')
    rows = []
    for workload, power in (('w1', metrics.POWER_WATTS),
                            ('w2', metrics.ACCELERATOR_POWER_WATTS),
                            ('w3', None)):
        for stamp in stamps:
            if workload == 'w2' and (
                    pd.Timestamp('2026-03-29T03:10Z') < stamp <
                    pd.Timestamp('2026-03-29T06:20Z')):
                continue
            for metric in (metrics.CPU_UTILIZATION,
                           metrics.GPU_UTILIZATION, metrics.STORAGE_GB,
                           metrics.NETWORK_TX_BYTES_PER_S, power):
                if metric is not None:
                    rows.append((workload, stamp, metric,
                                 float(rng.uniform(0, 500))))
    rows.append(('w2', stamps[7], metrics.ACCELERATOR_POWER_WATTS, 321.0))
    rows.append(('w2', stamps[9] + pd.Timedelta(seconds=37),
                 metrics.ACCELERATOR_POWER_WATTS, 123.0))
    usage = cards.usage(rows)
    return usage.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def test_same_costs_for_plain_object_and_categorical_columns():
    usage = _usage()
    workloads = cards.workloads(*WORKLOADS)
    card = cards.card()
    plain = realtime.compute_costs(workloads, usage, card)
    assert len(plain) > 48
    assert plain['energy_kwh'].gt(0).all()
    assert plain['power_estimate'].eq(
        'utilization_curve').sum() == (plain['workload_id'] == 'w3').sum()
    for form in (object, 'category'):
        other = usage.astype({'workload_id': form, 'metric': form})
        pd.testing.assert_frame_equal(
            realtime.compute_costs(workloads, other, card), plain,
            check_exact=True)
    # the categories of a batch read need not be sorted or all used
    read = usage.assign(
        workload_id=frames.categorical(usage['workload_id']),
        metric=frames.categorical(usage['metric']))
    read['workload_id'] = read['workload_id'].cat.add_categories(['w0'])
    pd.testing.assert_frame_equal(
        realtime.compute_costs(workloads, read, card), plain,
        check_exact=True)


def test_rows_are_sorted_by_workload_then_hour():
    costs = realtime.compute_costs(cards.workloads(*WORKLOADS), _usage(1),
                                   cards.card())
    keys = list(zip(costs['workload_id'], costs['hour'], strict=True))
    assert keys == sorted(keys)


def test_a_long_sparse_window_is_priced_as_a_dense_one(monkeypatch):
    usage = _usage(2)
    # a year later, one more hour of w1
    later = usage.loc[usage['workload_id'] == 'w1'].iloc[:40].copy()
    later['timestamp'] += pd.Timedelta(days=365)
    usage = pd.concat([usage, later], ignore_index=True)
    workloads = cards.workloads(*WORKLOADS)
    dense = realtime.compute_costs(workloads, usage, cards.card())
    monkeypatch.setattr(realtime, '_DENSE_CELLS', 0)
    sparse = realtime.compute_costs(workloads, usage, cards.card())
    pd.testing.assert_frame_equal(sparse, dense, check_exact=True)
    assert dense['hour'].max() - dense['hour'].min() > pd.Timedelta(
        days=364)


def test_unknown_workload_found_in_categorical_usage():
    usage = _usage().astype({'workload_id': 'category'})
    with pytest.raises(realtime.CostInputError, match='w3'):
        realtime.compute_costs(cards.workloads(*WORKLOADS[:2]), usage,
                               cards.card())


@pytest.mark.parametrize('zone', ['Europe/Berlin', 'Australia/Lord_Howe',
                                  'Asia/Kolkata', 'America/St_Johns'])
def test_minute_of_week_per_hour_matches_instant_by_instant(zone):
    card = types.SimpleNamespace(timezone=zone)
    rng = np.random.default_rng(7)
    # around the spring and autumn changes of both hemispheres
    seconds = np.concatenate([
        pd.Timestamp(day, tz='UTC').value // 10**9 +
        rng.integers(0, 10 * 86400, 5000)
        for day in ('2026-03-24', '2026-04-01', '2026-09-30', '2026-10-20')])
    ns = seconds * 10**9
    np.testing.assert_array_equal(
        energy_billing._minute_of_week_in_hours(card, ns, seconds // 3600),
        energy_billing._minute_of_week(card, ns))


@pytest.mark.parametrize('zone', ['UTC', 'Europe/Berlin', 'Asia/Kolkata',
                                  'America/St_Johns'])
def test_minute_of_week_per_hour_on_steady_hours(zone):
    """Hours without a change of offset take the looked-up path, the week
    wrapping inside an hour where the offset is not whole hours."""
    card = types.SimpleNamespace(timezone=zone)
    rng = np.random.default_rng(11)
    first = pd.Timestamp('2026-06-01', tz='UTC').value // 10**9
    seconds = first + rng.integers(0, 21 * 86400, 20000)
    ns = seconds * 10**9
    np.testing.assert_array_equal(
        energy_billing._minute_of_week_in_hours(card, ns, seconds // 3600),
        energy_billing._minute_of_week(card, ns))


def test_mean_price_interpolation_is_np_interp_to_the_bit():
    integral = energy_billing._week_integral(cards.card())
    slope = np.append(np.diff(integral), 0.0)
    grid = np.arange(len(integral), dtype=float)
    rng = np.random.default_rng(5)
    last = len(integral) - 1
    minutes = np.concatenate([
        rng.uniform(0, last, 100000),
        rng.integers(0, last + 1, 20000).astype(float),
        rng.integers(0, last, 20000) + rng.integers(0, 60, 20000) / 60.0,
        [0.0, float(last), last - 1e-9]])
    found = energy_billing._interp_minutes(minutes, integral, slope)
    assert found.view(np.int64).tolist() == np.interp(
        minutes, grid, integral).view(np.int64).tolist()
    # off the grid or NaN: np.interp itself
    odd = np.array([-1.0, np.nan, last + 5.0, 3.5])
    np.testing.assert_array_equal(
        energy_billing._interp_minutes(odd, integral, slope),
        np.interp(odd, grid, integral))


def test_minute_of_week_of_a_known_instant():
    card = types.SimpleNamespace(timezone='Europe/Berlin')
    # Monday 2026-03-30 09:15:30 in Berlin (summer time, UTC+2)
    ns = np.array([pd.Timestamp('2026-03-30T07:15:30Z').value])
    assert energy_billing._minute_of_week(card, ns)[0] == 9 * 60 + 15.5


def test_median_interval_of_uneven_series_is_the_group_median():
    codes = np.repeat([0, 3, 4, 9], [5, 1, 6, 4])
    rng = np.random.default_rng(3)
    values = rng.choice([60.0, 300.0, 300.0, np.nan], len(codes))
    values[codes == 4] = 300.0
    values[codes == 3] = np.nan
    expected = pd.Series(values).groupby(codes).median()
    np.testing.assert_array_equal(
        energy._median_per_series(codes, values),
        expected.reindex(codes).to_numpy())


def test_usage_codes_of_a_categorical_frame():
    usage = _usage().astype({'workload_id': 'category',
                             'metric': 'category'})
    coded = usage_codes.UsageCodes(usage)
    np.testing.assert_array_equal(coded.workload_names[coded.workload],
                                  usage['workload_id'].astype(object))
    np.testing.assert_array_equal(
        coded.is_metric(metrics.POWER_WATTS, metrics.STORAGE_GB),
        usage['metric'].isin([metrics.POWER_WATTS, metrics.STORAGE_GB]))
    np.testing.assert_array_equal(
        coded.rows_of(metrics.POWER_WATTS, metrics.STORAGE_GB,
                      metrics.POWER_WATTS, 'no_such_metric'),
        np.flatnonzero(usage['metric'].isin([metrics.POWER_WATTS,
                                             metrics.STORAGE_GB])))
    assert not len(coded.rows_of('no_such_metric'))
    np.testing.assert_array_equal(
        coded.hours(),
        pd.DatetimeIndex(usage['timestamp']).as_unit('ns').asi8 //
        (3600 * 10**9))


def test_batch_read_gives_categorical_workloads_and_metrics():
    start = datetime.datetime(2026, 3, 2)
    rows = [('w2', metrics.CPU_UTILIZATION, start, 10.0),
            ('w1', metrics.GPU_UTILIZATION, start, 20.0),
            ('w2', metrics.GPU_UTILIZATION,
             start + datetime.timedelta(minutes=5), 30.0)]
    usage = frames.usage_from_means(rows)
    assert isinstance(usage['workload_id'].dtype, pd.CategoricalDtype)
    assert isinstance(usage['metric'].dtype, pd.CategoricalDtype)
    assert list(usage['workload_id'].astype(object)) == ['w2', 'w1', 'w2']
    assert list(usage['value']) == [10.0, 20.0, 30.0]
    assert str(usage['timestamp'].dt.tz) == 'UTC'
