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
from kcloud_analyzer.workload_analyzer import series as series_lib


def _usage(rows):
    return pd.DataFrame({
        'workload_id': [r[0] for r in rows],
        'timestamp': pd.to_datetime([r[1] for r in rows], utc=True),
        'metric': [r[2] for r in rows],
        'value': [float(r[3]) for r in rows],
    })


def test_from_usage_orders_pads_and_keeps_the_last_duplicate():
    usage = _usage([
        ('b', '2026-01-01T00:01:00Z', metrics.GPU_UTILIZATION, 20),
        ('a', '2026-01-01T00:00:30Z', metrics.GPU_UTILIZATION, 2),
        ('a', '2026-01-01T00:00:00Z', metrics.GPU_UTILIZATION, 1),
        ('a', '2026-01-01T00:00:30Z', metrics.GPU_UTILIZATION, 3),
        ('a', '2026-01-01T00:00:00Z', metrics.POWER_WATTS, 100),
    ])
    series = series_lib.from_usage(usage, ['a', 'b', 'c'])
    assert list(series.workload_ids) == ['a', 'b', 'c']
    gpu = series.block(metrics.GPU_UTILIZATION)
    np.testing.assert_array_equal(gpu.values, [[1, 3], [20, np.nan],
                                               [np.nan, np.nan]])
    start = pd.Timestamp('2026-01-01T00:00:00Z').timestamp()
    np.testing.assert_array_equal(gpu.times[0], [start, start + 30])
    assert list(gpu.counts) == [2, 1, 0]
    assert series.block(metrics.POWER_WATTS).values.shape == (3, 1)
    assert series.block(metrics.CPU_UTILIZATION) is None


def test_rows_selects_workloads():
    usage = _usage([('a', '2026-01-01T00:00:00Z', metrics.GPU_UTILIZATION, 1),
                    ('b', '2026-01-01T00:00:00Z', metrics.GPU_UTILIZATION,
                     2)])
    series = series_lib.from_usage(usage)
    part = series.rows(slice(1, 2))
    assert list(part.workload_ids) == ['b']
    assert part.block(metrics.GPU_UTILIZATION).values.tolist() == [[2.0]]


def test_rollup_averages_into_epoch_aligned_windows():
    # Samples every 100 s from 250 s: windows of 300 s start at 0, 300
    # and 600; a NaN sample is left out of its window's mean.
    times = np.arange(250.0, 750.0, 100.0)
    values = np.array([[1.0, 2.0, 4.0, np.nan, 8.0],
                       [np.nan, np.nan, np.nan, np.nan, 5.0]])
    series = series_lib.SeriesSet(
        workload_ids=np.array(['a', 'b'], dtype=object),
        blocks={metrics.GPU_UTILIZATION: series_lib.MetricBlock(
            times=times, values=values)})
    block = series_lib.rollup(series, 300).block(metrics.GPU_UTILIZATION)
    np.testing.assert_array_equal(block.times, [0.0, 300.0, 600.0])
    np.testing.assert_array_equal(block.values, [[1.0, 3.0, 8.0],
                                                 [np.nan, np.nan, 5.0]])


def test_rollup_refuses_per_workload_time_axes():
    usage = _usage([('a', '2026-01-01T00:00:00Z', metrics.GPU_UTILIZATION, 1),
                    ('b', '2026-01-01T00:01:00Z', metrics.GPU_UTILIZATION,
                     2)])
    series = series_lib.from_usage(usage)
    with pytest.raises(ValueError):
        series_lib.rollup(series, 300)
