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
