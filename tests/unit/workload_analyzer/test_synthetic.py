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
from kcloud_analyzer.workload_analyzer import features
from kcloud_analyzer.workload_analyzer import synthetic


@pytest.mark.parametrize('workload_class', synthetic.CLASSES)
def test_generate_shapes_and_ranges(workload_class):
    rng = np.random.default_rng(0)
    series, workloads = synthetic.generate(50, workload_class, rng,
                                           step_s=30.0, window_s=6 * 3600)
    assert len(series) == 50
    assert (workloads['type'] == workload_class).all()
    assert list(series.workload_ids) == list(workloads['workload_id'])
    for metric in metrics.UTILIZATION_METRICS:
        block = series.block(metric)
        assert block.values.shape == (50, 720)
        assert np.nanmin(block.values, initial=0) >= 0
        assert np.nanmax(block.values, initial=0) <= 100
    # Every row is either a GPU or an NPU workload, never both.
    gpu = ~np.isnan(series.block(metrics.GPU_UTILIZATION).values).all(axis=1)
    npu = ~np.isnan(series.block(metrics.NPU_UTILIZATION).values).all(axis=1)
    assert not (gpu & npu).any()


def test_generate_is_reproducible():
    first = synthetic.generate(5, 'serving', np.random.default_rng(9))[0]
    second = synthetic.generate(5, 'serving', np.random.default_rng(9))[0]
    np.testing.assert_array_equal(
        first.block(metrics.GPU_UTILIZATION).values,
        second.block(metrics.GPU_UTILIZATION).values)


def test_classes_differ_where_the_traces_say():
    rng = np.random.default_rng(4)
    means = {}
    for workload_class in synthetic.CLASSES:
        series, workloads = synthetic.generate(
            200, workload_class, rng, step_s=60.0, window_s=24 * 3600)
        frame = features.analyze(series, workloads)[2]
        means[workload_class] = frame.mean()
    assert means['training']['accel_util_mean'] > means['serving'][
        'accel_util_mean']
    assert means['serving']['accel_util_idle_share'] > means['training'][
        'accel_util_idle_share']


def test_metric_presence_does_not_give_the_class_away():
    rng = np.random.default_rng(8)
    present = {}
    for workload_class in synthetic.CLASSES:
        series, _ = synthetic.generate(400, workload_class, rng,
                                       window_s=6 * 3600)
        present[workload_class] = {
            metric: float(np.mean(~np.isnan(block.values).all(axis=1)))
            for metric, block in series.blocks.items()}
    table = pd.DataFrame(present)
    # The share of workloads reporting each metric is alike across classes.
    assert (table.max(axis=1) - table.min(axis=1)).max() < 0.12


def test_training_duration_parameters_match_philly():
    runtime = pd.read_csv(datasets.data_dir() / 'alibaba_pai_v2020_partial'
                          / 'philly_runtime.csv')['runtime']
    logs = np.log(runtime[runtime >= 600])
    assert logs.mean() == pytest.approx(
        synthetic.TRAINING_DURATION_LOG_MU, abs=0.01)
    assert logs.std() == pytest.approx(
        synthetic.TRAINING_DURATION_LOG_SIGMA, abs=0.01)

