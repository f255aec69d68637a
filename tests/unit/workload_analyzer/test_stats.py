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

import warnings

import numpy as np
import pytest

from kcloud_analyzer.workload_analyzer import stats


@pytest.mark.parametrize('width', [1, 2, 3, 7, 100, 2880])
@pytest.mark.parametrize('qs', [[0.5, 0.95], [0.05, 0.95], [0.0, 1.0],
                                [0.95, 0.5, 0.05]])
def test_quantiles_match_numpy_on_full_rows(width, qs):
    values = np.random.default_rng(width).random((20, width))
    before = values.copy()
    np.testing.assert_allclose(
        stats.quantiles(values, qs),
        np.percentile(values, np.array(qs) * 100, axis=1))
    np.testing.assert_array_equal(values, before)  # input left alone


@pytest.mark.parametrize('width', [1, 4, 50])
def test_row_figures_match_numpy_with_missing_samples(width):
    values = np.random.default_rng(width).random((30, width)).astype(
        np.float32)
    values[::3, -1] = np.nan
    values[4] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        expected = np.nanpercentile(values, [50, 95], axis=1)
        expected_mean = np.nanmean(values, axis=1)
        expected_std = np.nanstd(values, axis=1)
        expected_max = np.nanmax(values, axis=1)
    np.testing.assert_allclose(stats.quantiles(values, [0.5, 0.95]),
                               expected, rtol=1e-6)
    np.testing.assert_allclose(stats.mean(values), expected_mean, rtol=1e-6)
    np.testing.assert_allclose(stats.std(values), expected_std, rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(stats.maximum(values), expected_max)
    assert np.isnan(stats.mean(values)[4])
    assert stats.counts(values)[4] == 0


def test_share_below_and_intervals():
    values = np.array([[1.0, 4.9, 5.0, np.nan], [np.nan] * 4])
    shares = stats.share_below(values, 5.0)
    assert shares[0] == pytest.approx(2 / 3)
    assert np.isnan(shares[1])
    times = np.array([[0.0, 30.0, 60.0, 150.0], [0.0, 30.0, np.nan, np.nan]])
    np.testing.assert_allclose(stats.median_interval(times), [30.0, 30.0])
    np.testing.assert_allclose(stats.span(times), [150.0, 30.0])


def test_periodicity_of_rows_all_too_short():
    # Every row has fewer than 4 samples in a wide block: no period, and
    # no failure.
    values = np.full((2, 10), np.nan)
    values[:, :3] = [[1.0, 2.0, 1.0], [3.0, 1.0, 3.0]]
    period, strength = stats.periodicity(values, 30.0)
    assert np.isnan(period).all() and np.isnan(strength).all()


@pytest.mark.parametrize('qs', [[0.5, 0.95], [0.05, 0.5], [0.05, 0.95],
                                [0.95, 0.5, 0.05, 0.5], [0.0, 0.25, 1.0]])
def test_quantiles_of_tied_float32_rows_equal_numpy(qs):
    # Few distinct values: the neighbour above each pivot is often the
    # same value, whichever end the partitions start from.
    values = np.random.default_rng(7).integers(0, 5, (40, 2880)).astype(
        np.float32)
    values[3] = np.linspace(0, 100, 2880, dtype=np.float32)[::-1]
    np.testing.assert_array_equal(
        stats.quantiles(values, qs),
        np.percentile(values.astype(np.float64), np.array(qs) * 100,
                      axis=1))


def test_counts_of_rows_with_and_without_missing_samples():
    values = np.ones((6, 5), dtype=np.float32)
    values[1, 2] = np.nan
    values[2] = np.nan
    values[3, :2] = [np.inf, -np.inf]  # sums to NaN without a NaN
    values[4, 0] = np.inf
    np.testing.assert_array_equal(stats.counts(values), [5, 4, 0, 5, 5, 5])
    # Most rows with a missing sample: counted the plain way, same result.
    values[[0, 4, 5], -1] = np.nan
    np.testing.assert_array_equal(stats.counts(values), [4, 4, 0, 5, 4, 4])
    assert stats.counts(np.empty((3, 0))).tolist() == [0, 0, 0]


@pytest.mark.parametrize('missing', [False, True])
def test_diurnal_strength_on_a_shared_axis_equals_per_row_times(missing):
    # Three days of 10-minute samples starting mid-hour: each hour of the
    # day comes in several runs.
    rng = np.random.default_rng(3)
    times = 1.7e9 + 1800.0 + np.arange(3 * 144) * 600.0
    hours = np.floor(np.mod(times, 86400.0) / 3600.0)
    values = (50 + 30 * np.sin(hours / 24 * 2 * np.pi)
              + rng.normal(0, 5, (8, times.size))).astype(np.float32)
    if missing:
        values[::2, 100:140] = np.nan
        values[1, 5:] = np.nan  # under a day: NaN
    shared = stats.diurnal_strength(times, values)
    per_row = stats.diurnal_strength(np.broadcast_to(times, values.shape),
                                     values)
    np.testing.assert_allclose(shared, per_row, rtol=1e-5)
    assert (shared[~np.isnan(shared)] > 0.5).all()
    assert np.isnan(shared[1]) == missing


@pytest.mark.parametrize('missing', [False, True])
def test_reused_sums_and_deviations_give_the_same_figures(missing):
    """The sums, centred rows and sums of squares handed on from one
    figure to the next give exactly what each function makes alone."""
    rng = np.random.default_rng(7)
    values = (rng.random((40, 2880)) * 100).astype(np.float32)
    values[:, ::97] += 40 * np.sin(np.arange(30))[None, :].astype(np.float32)
    if missing:
        values[::4, 100:300] = np.nan
        values[5] = np.nan
    times = 1.7e9 + np.arange(values.shape[1]) * 30.0
    sums = stats.row_sums(values)
    n = stats.counts(values)
    np.testing.assert_array_equal(stats.counts(values, sums), n)
    row_mean = stats.mean(values, n)
    np.testing.assert_array_equal(stats.mean(values, n, sums), row_mean)
    deviation = stats.centred(values, row_mean, n)
    squares = stats.squares(values, deviation=deviation)
    np.testing.assert_array_equal(
        stats.std_from_squares(squares, n), stats.std(values, row_mean, n))
    np.testing.assert_array_equal(
        stats.periodicity(values, 30.0, n, row_mean, deviation=deviation),
        stats.periodicity(values, 30.0, n, row_mean))
    np.testing.assert_array_equal(
        stats.diurnal_strength(times, values, n=n, row_mean=row_mean,
                               deviation=deviation, total=squares),
        stats.diurnal_strength(times, values, n=n, row_mean=row_mean))
    with np.errstate(invalid='ignore'):
        expected = np.sum(values < 20, axis=1) / np.where(n > 0, n, np.nan)
    np.testing.assert_array_equal(stats.share_below(values, 20, n),
                                  expected)


def test_periodicity_counts_an_excluded_bin_as_the_peaks_neighbour():
    """Periods longer than half the span are not the peak, but their bin
    still counts as the peak's neighbour in the strength."""
    times = np.arange(2880) * 30.0
    # A one-day cycle (bin 1, too long to be the period) and a weaker
    # 12-hour one (bin 2, the peak).
    values = (50 + 40 * np.sin(2 * np.pi * times / 86400.0)
              + 10 * np.sin(2 * np.pi * times / 43200.0))[None, :].astype(
                  np.float32)
    period, strength = stats.periodicity(values, 30.0)
    assert period[0] == pytest.approx(43200.0)
    assert strength[0] == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('shift', [0.0, -50.0])
@pytest.mark.parametrize('qs', [[0.5, 0.95], [0.05, 0.95], [0.0, 1.0]])
def test_quantiles_and_maximum_of_signed_and_zero_rows(dtype, shift, qs):
    # Nonnegative blocks are partitioned as integers, blocks with a
    # negative value as floats: both give numpy's figures, with -0.0,
    # ties and infinities among the values.
    rng = np.random.default_rng(11)
    values = (rng.integers(0, 100, (30, 2880)) + shift).astype(dtype)
    values[0] = -0.0
    values[1, ::2] = 0.0
    values[1, 1::2] = -0.0
    values[2, :100] = np.inf
    values[3] = rng.random(2880).astype(dtype) * 1e-3
    before = values.copy()
    with np.errstate(invalid='ignore'):  # inf - inf in both
        result, largest = stats.quantiles(values, qs, with_maximum=True)
        expected = np.percentile(values.astype(np.float64),
                                 np.array(qs) * 100, axis=1)
    np.testing.assert_array_equal(result, expected)
    np.testing.assert_array_equal(largest, values.max(axis=1))
    assert largest.dtype == np.float64
    np.testing.assert_array_equal(values, before)  # input left alone


def test_order_keys_only_for_nonnegative_floats():
    values = np.array([[0.0, -0.0, 3.5, np.inf]], dtype=np.float32)
    keys = stats._order_keys(values)
    assert keys.dtype == np.int32
    assert keys.base is values or keys.base is values.base
    np.testing.assert_array_equal(np.argsort(keys[0, 1:]), [0, 1, 2])
    for other in (values - 1.0, np.array([[1.0, np.nan]]),
                  values.astype(np.float16)):
        assert stats._order_keys(other) is other


def test_maximum_with_quantiles_of_rows_with_missing_samples():
    values = np.random.default_rng(5).random((6, 40))
    values[1, 3:] = np.nan
    values[2] = np.nan
    values[4, 0] = np.nan
    quantiles, largest = stats.quantiles(values, [0.5, 0.95],
                                         with_maximum=True)
    np.testing.assert_array_equal(largest, stats.maximum(values))
    assert np.isnan(largest[2]) and np.isnan(quantiles[:, 2]).all()
    np.testing.assert_array_equal(
        quantiles, stats.quantiles(values, [0.5, 0.95]))
