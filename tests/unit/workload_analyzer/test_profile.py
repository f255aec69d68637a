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

from kcloud_analyzer.common import metrics
from kcloud_analyzer.workload_analyzer import profile
from kcloud_analyzer.workload_analyzer import series as series_lib

DAY = 86400.0
START = 1.7e9 - np.mod(1.7e9, DAY)  # midnight UTC
STEP = 30.0
TIMES = START + np.arange(0, DAY, STEP)


def _set(blocks, ids=None):
    rows = len(next(iter(blocks.values())).values)
    ids = ids or [f'w{i}' for i in range(rows)]
    return series_lib.SeriesSet(np.array(ids, dtype=object), blocks)


def _shared(*rows, times=TIMES):
    return series_lib.MetricBlock(times=times,
                                  values=np.vstack(rows).astype(float))


def _gpu(frame, figure, workload):
    return frame.loc[workload, profile.column(metrics.GPU_UTILIZATION,
                                              figure)]


@pytest.fixture(scope='module')
def shapes():
    n = len(TIMES)
    constant = np.full(n, 50.0)
    step = np.where(np.arange(n) < n // 2, 0.0, 100.0)
    sine = 50 + 40 * np.sin(2 * np.pi * (TIMES - START) / 3600.0)
    series = _set({metrics.GPU_UTILIZATION: _shared(constant, step, sine)},
                  ['constant', 'step', 'sine'])
    workloads = pd.DataFrame({
        'workload_id': ['constant', 'step', 'sine'], 'type': None,
        'cpu_cores': 8.0, 'memory_gb': 64.0, 'gpu_count': [4, 2, 1],
        'npu_count': 0, 'accelerator': 'A100', 'project_id': 'p'})
    return profile.resource_profile(series, workloads)


def test_constant_series(shapes):
    for figure in ('mean', 'p50', 'p95', 'max'):
        assert _gpu(shapes, figure, 'constant') == pytest.approx(50.0)
    assert _gpu(shapes, 'std', 'constant') == pytest.approx(0.0)
    assert _gpu(shapes, 'idle_share', 'constant') == 0.0
    assert _gpu(shapes, 'count', 'constant') == len(TIMES)
    # Perfectly regular: Goh-Barabasi burstiness -1, no period at all.
    assert shapes.loc['constant', 'burstiness'] == pytest.approx(-1.0)
    assert np.isnan(shapes.loc['constant', 'dominant_period_s'])
    assert shapes.loc['constant', 'gpus_used'] == pytest.approx(2.0)


def test_step_series(shapes):
    assert _gpu(shapes, 'mean', 'step') == pytest.approx(50.0)
    # An even count: the median interpolates between the last 0 and the
    # first 100.
    assert _gpu(shapes, 'p50', 'step') == pytest.approx(50.0)
    assert _gpu(shapes, 'p95', 'step') == pytest.approx(100.0)
    assert _gpu(shapes, 'max', 'step') == pytest.approx(100.0)
    assert _gpu(shapes, 'std', 'step') == pytest.approx(50.0)
    assert _gpu(shapes, 'idle_share', 'step') == pytest.approx(0.5)
    assert shapes.loc['step', 'burstiness'] == pytest.approx(0.0)
    assert shapes.loc['step', 'peak_to_mean'] == pytest.approx(2.0)
    # Half a day off then half on: the hour of day explains it all.
    assert shapes.loc['step', 'diurnal_strength'] == pytest.approx(1.0)


def test_sine_series(shapes):
    assert _gpu(shapes, 'mean', 'sine') == pytest.approx(50.0, abs=1e-9)
    assert _gpu(shapes, 'std', 'sine') == pytest.approx(40 / np.sqrt(2))
    assert _gpu(shapes, 'max', 'sine') == pytest.approx(90.0, abs=0.01)
    # The q-quantile of a sine over whole periods is sin(pi (q - 1/2)).
    expected_p95 = 50 + 40 * np.sin(np.pi * 0.45)
    assert _gpu(shapes, 'p95', 'sine') == pytest.approx(expected_p95,
                                                        abs=0.05)
    assert shapes.loc['sine', 'dominant_period_s'] == pytest.approx(3600.0)
    assert shapes.loc['sine', 'periodicity_strength'] > 0.99
    # An hourly cycle has no daily shape.
    assert shapes.loc['sine', 'diurnal_strength'] < 0.01
    assert shapes.loc['sine', 'gpus_used'] == pytest.approx(0.5)
    assert shapes.loc['sine', 'gpus_allocated'] == 1


def test_daily_cycle_and_observed_time():
    times = START + np.arange(0, 2 * DAY, 60.0)
    daily = 50 + 30 * np.cos(2 * np.pi * (times - START) / DAY)
    frame = profile.resource_profile(
        _set({metrics.CPU_UTILIZATION: _shared(daily, times=times)}))
    assert frame.loc['w0', 'primary_metric'] == metrics.CPU_UTILIZATION
    assert frame.loc['w0', 'diurnal_strength'] > 0.95
    assert frame.loc['w0', 'dominant_period_s'] == pytest.approx(DAY)
    assert frame.loc['w0', 'observed_hours'] == pytest.approx(
        (2 * DAY - 60) / 3600)
    assert frame.loc['w0', 'sampling_interval_s'] == 60.0


def test_missing_metric_is_missing_not_zero():
    series = _set({metrics.GPU_UTILIZATION: _shared(
        np.full(len(TIMES), 30.0), np.full(len(TIMES), np.nan))})
    frame = profile.resource_profile(series)
    assert _gpu(frame, 'count', 'w1') == 0
    for figure in ('mean', 'p50', 'p95', 'max', 'std', 'idle_share'):
        assert np.isnan(_gpu(frame, figure, 'w1'))
    npu = profile.column(metrics.NPU_UTILIZATION, 'mean')
    assert np.isnan(frame.loc['w0', npu])
    assert frame.loc['w0', profile.column(metrics.NPU_UTILIZATION,
                                          'count')] == 0
    assert pd.isna(frame.loc['w1', 'primary_metric'])
    assert np.isnan(frame.loc['w0', 'gpus_used'])  # no allocation given


def test_irregular_long_form_with_gaps_matches_numpy():
    rng = np.random.default_rng(3)
    frames = []
    expected = {}
    for name, count in (('a', 500), ('b', 173)):
        times = START + np.cumsum(rng.uniform(10, 50, count))
        times[count // 2:] += 3600  # a one-hour hole in the middle
        values = rng.uniform(0, 100, count)
        expected[name] = values
        frames.append(pd.DataFrame({
            'workload_id': name,
            'timestamp': pd.to_datetime(times, unit='s', utc=True),
            'metric': metrics.GPU_UTILIZATION, 'value': values}))
    usage = pd.concat(frames).sample(frac=1.0, random_state=1)
    frame = profile.resource_profile(series_lib.from_usage(usage))
    for name, values in expected.items():
        assert _gpu(frame, 'count', name) == len(values)
        assert _gpu(frame, 'mean', name) == pytest.approx(values.mean())
        assert _gpu(frame, 'std', name) == pytest.approx(values.std())
        assert _gpu(frame, 'p50', name) == pytest.approx(
            np.percentile(values, 50))
        assert _gpu(frame, 'p95', name) == pytest.approx(
            np.percentile(values, 95))
        assert _gpu(frame, 'max', name) == pytest.approx(values.max())
        assert _gpu(frame, 'idle_share', name) == pytest.approx(
            np.mean(values < 5))


def test_rates_and_memory_used():
    n = len(TIMES)
    series = _set({
        metrics.NETWORK_RX_BYTES_PER_S: _shared(np.full(n, 1e6)),
        metrics.DISK_WRITE_BYTES_PER_S: _shared(
            np.where(np.arange(n) % 10 == 0, 1e7, 0.0)),
        metrics.MEMORY_UTILIZATION: _shared(np.full(n, 25.0)),
    })
    workloads = pd.DataFrame({
        'workload_id': ['w0'], 'type': None, 'cpu_cores': 16.0,
        'memory_gb': 128.0, 'gpu_count': 0, 'npu_count': 0,
        'accelerator': None, 'project_id': 'p'})
    frame = profile.resource_profile(series, workloads)
    rx = profile.column(metrics.NETWORK_RX_BYTES_PER_S, 'mean')
    write = profile.column(metrics.DISK_WRITE_BYTES_PER_S, 'mean')
    write_max = profile.column(metrics.DISK_WRITE_BYTES_PER_S, 'max')
    assert frame.loc['w0', rx] == pytest.approx(1e6)
    assert frame.loc['w0', write] == pytest.approx(1e6)
    assert frame.loc['w0', write_max] == pytest.approx(1e7)
    assert frame.loc['w0', 'memory_gb_used'] == pytest.approx(32.0)
    assert np.isnan(frame.loc['w0', 'cpu_cores_used'])
