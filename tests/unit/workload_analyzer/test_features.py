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
from kcloud_analyzer.workload_analyzer import features
from kcloud_analyzer.workload_analyzer import series as series_lib
from kcloud_analyzer.workload_analyzer import synthetic

TIMES = 1.7e9 + np.arange(0, 7200, 30.0)


def _block(*rows):
    return series_lib.MetricBlock(times=TIMES, values=np.vstack(rows))


def test_accelerator_features_use_npu_when_no_gpu():
    n = len(TIMES)
    nothing = np.full(n, np.nan)
    series = series_lib.SeriesSet(np.array(['gpu', 'npu'], dtype=object), {
        metrics.GPU_UTILIZATION: _block(np.full(n, 80.0), nothing),
        metrics.NPU_UTILIZATION: _block(nothing, np.full(n, 20.0)),
        metrics.NPU_MEMORY_UTILIZATION: _block(nothing, np.full(n, 40.0)),
        metrics.NETWORK_RX_BYTES_PER_S: _block(np.full(n, 300.0),
                                               np.full(n, 99.0)),
        metrics.NETWORK_TX_BYTES_PER_S: _block(np.full(n, 100.0),
                                               np.full(n, 0.0)),
    })
    workloads = pd.DataFrame({
        'workload_id': ['gpu', 'npu'], 'type': None, 'cpu_cores': 8.0,
        'memory_gb': 64.0, 'gpu_count': [16, 0], 'npu_count': [0, 2],
        'accelerator': None, 'project_id': 'p'})
    frame = features.analyze(series, workloads)[2]
    assert list(frame.columns) == list(features.FEATURES) + list(
        features.CONTEXT)
    assert frame.loc['gpu', 'accel_util_mean'] == pytest.approx(80.0)
    assert frame.loc['npu', 'accel_util_mean'] == pytest.approx(20.0)
    assert frame.loc['npu', 'util_to_memory'] == pytest.approx(0.5)
    assert np.isnan(frame.loc['gpu', 'accel_memory_mean'])
    assert frame.loc['gpu', 'multi_node'] == 1.0
    assert frame.loc['npu', 'multi_node'] == 0.0
    assert frame.loc['npu', 'accelerator_count'] == 2
    assert frame.loc['gpu', 'network_rx_share'] == pytest.approx(0.75)
    assert frame.loc['gpu', 'network_log10_bytes_per_s'] == pytest.approx(
        np.log10(401.0))
    assert frame.loc['npu', 'network_rx_share'] == pytest.approx(1.0)
    # No power reported: the power features are missing.
    assert np.isnan(frame.loc['gpu', 'power_cov'])


def test_chunked_analysis_matches_one_pass():
    rng = np.random.default_rng(2)
    series, workloads = synthetic.generate(30, 'training', rng,
                                           window_s=4 * 3600)
    whole = features.analyze(series, workloads)
    calls = []
    chunked = features.analyze_in_chunks(series, workloads, chunk_rows=7,
                                         workers=2, on_chunk=calls.append)
    assert sorted(calls) == [2, 7, 7, 7, 7]
    for one, other in zip(whole, chunked, strict=True):
        pd.testing.assert_frame_equal(one, other)


def test_context_columns_from_the_profiles():
    # 'util' reported its GPU utilisation only; 'cpu' also its CPU (half
    # of the samples); 'none' nothing at all.
    n = len(TIMES)
    nothing = np.full(n, np.nan)
    half = np.where(np.arange(n) % 2 == 0, 30.0, np.nan)
    series = series_lib.SeriesSet(
        np.array(['util', 'cpu', 'none'], dtype=object), {
            metrics.GPU_UTILIZATION: _block(np.full(n, 50.0),
                                            np.full(n, 60.0), nothing),
            metrics.CPU_UTILIZATION: _block(nothing, half, nothing),
        })
    frame = features.analyze(series)[2]
    assert list(frame.columns) == list(features.FEATURES) + list(
        features.CONTEXT)
    assert frame['only_utilisation'].tolist() == [1.0, 0.0, 1.0]
    assert frame.loc['util', 'samples'] == n
    assert frame.loc['cpu', 'samples'] == n  # its main metric: the GPU
    assert frame.loc['none', 'samples'] == 0
    assert (frame.dtypes == np.float64).all()
