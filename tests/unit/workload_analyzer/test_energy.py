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
from kcloud_analyzer.common import metrics
from kcloud_analyzer.workload_analyzer import energy
from kcloud_analyzer.workload_analyzer import series as series_lib

START = 1.7e9


def _pad(rows):
    """Stack ragged 1-D arrays into a NaN-padded 2-D array."""
    width = max(len(r) for r in rows)
    out = np.full((len(rows), width), np.nan)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out


def test_constant_power_for_an_hour():
    # 120 samples, 30 s apart: the last one stands for the last 30 s.
    times = START + np.arange(0, 3600, 30.0)
    result = energy.integrate(times, np.full((1, len(times)), 100.0))
    assert result['energy_j'][0] / energy.JOULES_PER_KWH == pytest.approx(
        0.1)
    assert result['average_power_w'][0] == pytest.approx(100.0)
    assert result['gap_s'][0] == 0


def test_rollup_means_are_integrated_exactly():
    # Five-minute rollups, one missing: each mean stands for its window.
    rng = np.random.default_rng(0)
    windows = np.delete(np.arange(0, 3600, 300.0), 4)
    means = rng.uniform(100, 300, len(windows))
    result = energy.integrate(START + windows[None, :], means[None, :])
    # The missing window is one lost sample: the window before it stands
    # for it too, and it is not a gap.
    assert result['energy_j'][0] == pytest.approx(
        (means.sum() + means[3]) * 300)
    assert result['covered_s'][0] == pytest.approx(12 * 300)
    assert result['gap_s'][0] == 0


def test_gap_is_left_out_and_reported():
    times = START + np.concatenate([np.arange(0, 1800, 30.0),
                                    np.arange(2400, 3601, 30.0)])
    result = energy.integrate(times, np.full((1, len(times)), 200.0))
    # 60 + 41 samples of 30 s; the one at 1770 s is followed by a gap.
    covered = 60 * 30 + 41 * 30
    assert result['energy_j'][0] == pytest.approx(200 * covered)
    assert result['gap_s'][0] == pytest.approx(600)
    assert result['covered_s'][0] == pytest.approx(covered)
    assert result['gap_energy_j'][0] == pytest.approx(200 * 600)


def test_one_lost_sample_is_bridged():
    times = START + np.delete(np.arange(0, 600, 30.0), 10)
    result = energy.integrate(times, np.full((1, len(times)), 50.0))
    assert result['gap_s'][0] == 0
    assert result['energy_j'][0] == pytest.approx(50 * 600)


@pytest.mark.parametrize('max_gap_s', [None, 45.0])
def test_full_rows_on_a_shared_axis_integrate_as_the_general_path(
        max_gap_s):
    # Full rows on one time axis take a path of products with one vector;
    # the same rows given as per-row times take the general one. Gaps
    # (two of them, one at the end) are charged at the mean of the
    # samples around them.
    rng = np.random.default_rng(5)
    times = START + np.concatenate([np.arange(0, 900, 30.0),
                                    np.arange(1500, 2400, 30.0),
                                    [3000.0]])
    watts = rng.uniform(50, 400, (6, times.size)).astype(np.float32)
    fast = energy.integrate(times, watts, max_gap_s)
    general = energy.integrate(np.broadcast_to(times, watts.shape).copy(),
                               watts, max_gap_s)
    assert fast['gap_s'][0] > 0
    for name in ('energy_j', 'covered_s', 'gap_s', 'gap_energy_j',
                 'average_power_w'):
        np.testing.assert_allclose(fast[name], general[name], rtol=1e-6)
    held, gap, gap_w = energy.held_intervals(times, watts, max_gap_s)
    np.testing.assert_allclose(
        fast['gap_energy_j'],
        (gap_w.astype(np.float64) * gap).sum(axis=1), rtol=1e-6)


def test_energy_profile_sources_and_missing():
    times = START + np.arange(0, 3600, 30.0)
    n = len(times)
    host = np.vstack([np.full(n, 500.0), np.full(n, np.nan),
                      np.full(n, np.nan)])
    accelerator = np.vstack([np.full(n, 300.0), np.full(n, 250.0),
                             np.full(n, np.nan)])
    series = series_lib.SeriesSet(
        np.array(['both', 'accelerator', 'none'], dtype=object),
        {metrics.POWER_WATTS: series_lib.MetricBlock(times, host),
         metrics.ACCELERATOR_POWER_WATTS: series_lib.MetricBlock(
             times, accelerator)})
    frame = energy.energy_profile(series)
    hours = n * 30 / 3600
    assert frame.loc['both', 'power_source'] == 'host'
    assert frame.loc['both', 'energy_kwh'] == pytest.approx(0.5 * hours)
    assert frame.loc['both', 'accelerator_energy_kwh'] == pytest.approx(
        0.3 * hours)
    assert frame.loc['accelerator', 'power_source'] == 'accelerator'
    assert frame.loc['accelerator', 'energy_kwh'] == pytest.approx(
        0.25 * hours)
    assert frame.loc['both', 'power_pattern'] == 'steady'
    assert pd.isna(frame.loc['none', 'power_source'])
    assert np.isnan(frame.loc['none', 'energy_kwh'])


def test_power_patterns():
    rng = np.random.default_rng(1)
    t = np.arange(0, 86400, 30.0)
    n = len(t)
    steady = 300 + rng.normal(0, 5, n)
    periodic = 200 + 100 * np.sign(np.sin(2 * np.pi * t / 1800))
    bursty = 150 + 100 * rng.lognormal(0, 1, n)
    idle = np.where(rng.random(n) < 0.1, 350.0, 60.0) + rng.normal(0, 2, n)
    values = np.vstack([steady, periodic, bursty, idle])
    pattern, evidence = energy.power_pattern(values, 30.0)
    assert list(pattern) == ['steady', 'periodic', 'bursty',
                             'idle-dominated']
    assert evidence['power_dominant_period_s'][1] == pytest.approx(1800)
    assert evidence['power_near_idle_share'][3] > 0.8
    assert evidence['power_cov'][0] < 0.05


def test_attribution_conserves_host_power():
    frame = pd.DataFrame({
        'host_id': ['h1', 'h1', 'h1', 'h2'],
        'cpu_cores': [16.0, 32.0, 16.0, 8.0],
        'accelerator_watts': [700.0, 1400.0, 0.0, np.nan],
        'host_watts': [3000.0] * 3 + [400.0],
        'host_idle_watts': [400.0] * 3 + [150.0],
    })
    result = energy.attribute_host_power(frame)
    host1 = result.iloc[:3]
    assert host1['total_w'].sum() == pytest.approx(3000.0)
    assert list(host1['accelerator_w']) == [700.0, 1400.0, 0.0]
    # 900 W of platform power: 400 W idle, 500 W above idle, by cores.
    assert list(host1['cpu_share']) == [0.25, 0.5, 0.25]
    assert list(host1['idle_w']) == pytest.approx([100.0, 200.0, 100.0])
    assert list(host1['dynamic_w']) == pytest.approx([125.0, 250.0, 125.0])
    assert result.loc[3, 'total_w'] == pytest.approx(400.0)
    assert result.loc[3, 'idle_w'] == pytest.approx(150.0)


def test_zeus_measured_gpu_energy():
    """Integrate Zeus profiling windows against their measured joules.

    Each window of ``profile_data`` ran at one power limit for
    ``elapsed_time`` seconds and NVML measured ``gpu<i>_energy``. The
    series samples each window irregularly (every 50-150 ms, an NVML
    poller's pace) with power varying
    around the window's measured average; the seconds between windows were
    not measured and must be left out by the gap rule.
    """
    folder = datasets.data_dir() / 'zeus_gpu_power_profiles' / 'profile_data'
    rng = np.random.default_rng(7)
    rows_t, rows_w, measured, unmeasured = [], [], [], []
    for path in sorted(folder.glob('*.csv')):
        windows = pd.read_csv(path)
        for column in [c for c in windows if c.endswith('_energy')]:
            times, watts = [], []
            for start, elapsed, joules in zip(windows['start_time'],
                                              windows['elapsed_time'],
                                              windows[column], strict=True):
                steps = rng.uniform(0.05, 0.15, int(elapsed / 0.05) + 2)
                inside = np.concatenate([[0.0], np.cumsum(steps)])
                inside = inside[inside < elapsed]
                average = joules / elapsed
                wave = np.sin(2 * np.pi * 3 * inside / elapsed)
                times.append(start + inside)
                watts.append(average * (1 + 0.2 * wave))
            rows_t.append(np.concatenate(times))
            rows_w.append(np.concatenate(watts))
            measured.append(windows[column].sum())
            unmeasured.append(
                (windows['start_time'].diff()
                 - windows['elapsed_time'].shift()).sum())
    result = energy.integrate(_pad(rows_t), _pad(rows_w))
    error = np.abs(result['energy_j'] - measured) / measured
    # 8 single-GPU files, 2 with 4 GPUs and 2 with 2 GPUs. The worst are
    # the 1.7 s windows of shufflenetv2, three power cycles in 17 samples.
    assert len(measured) == 20
    assert np.median(error) < 0.01
    assert error.max() < 0.04
    # Each window's last sample stands for one median interval (0.1 s),
    # not exactly up to the window's end.
    windows_per_row = np.array([len(pd.read_csv(p)) for p in sorted(
        folder.glob('*.csv')) for c in pd.read_csv(p) if c.endswith(
            '_energy')])
    assert np.abs(result['gap_s'] - unmeasured).max() < (
        0.15 * windows_per_row.max())
    # Without the gap rule the unmeasured seconds would be charged.
    bridged = energy.integrate(_pad(rows_t), _pad(rows_w), max_gap_s=1e9)
    assert (np.abs(bridged['energy_j'] - measured) / measured).min() > 0.02


def test_mlenergy_measured_inference_energy():
    """Integrate ML.ENERGY runs against their measured joules.

    For every configuration the run is 20 back-to-back batches (diffusion:
    ``batch_latency_s`` each, ``energy_per_image_joules * batch_size``
    measured per batch) or ten minutes of LLM serving
    (``energy_per_token_joules * output_throughput_tokens_per_sec`` joules
    per second). Power swings around the measured ``avg_power_watts``
    within each batch and is sampled at irregular instants.
    """
    path = (datasets.data_dir() / 'mlenergy_inference_power_v3'
            / 'mlenergy_v3_configurations_flat.csv')
    table = pd.read_csv(path)
    per_item = table['energy_per_image_joules'].fillna(
        table['energy_per_video_joules'])
    batches = table['batch_latency_s'].notna() & per_item.notna()
    llm = table['energy_per_token_joules'].notna()
    rng = np.random.default_rng(11)
    duration = np.where(batches, 20 * table['batch_latency_s'], 600.0)
    cycle = np.where(batches, table['batch_latency_s'], 37.0)
    measured = np.where(
        batches, 20 * per_item * table['batch_size'],
        table['energy_per_token_joules']
        * table['output_throughput_tokens_per_sec'] * 600.0)
    keep = (batches | llm).to_numpy()
    samples = 1000
    fractions = np.cumsum(rng.uniform(0.5, 1.5, (keep.sum(), samples)),
                          axis=1)
    fractions = (fractions - fractions[:, :1]) / (
        fractions[:, -1:] - fractions[:, :1])
    times = fractions * duration[keep, None]
    average = table['avg_power_watts'].to_numpy()[keep, None]
    watts = average * (1 + 0.25 * np.cos(
        2 * np.pi * times / cycle[keep, None]))
    result = energy.integrate(START + times, watts)
    error = np.abs(result['energy_j'] - measured[keep]) / measured[keep]
    assert keep.sum() > 1800
    assert error.max() < 0.02
