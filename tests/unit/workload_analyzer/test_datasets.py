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
import pytest

from kcloud_analyzer.common import datasets as data_locator
from kcloud_analyzer.common import metrics
from kcloud_analyzer.workload_analyzer import datasets
from kcloud_analyzer.workload_analyzer import series as series_lib
from kcloud_analyzer.workload_analyzer import energy


def test_alibaba_serving_pods():
    workloads, usage = datasets.alibaba_serving(data_locator.data_dir(),
                                                max_pods=5)
    assert len(workloads) == 5
    assert (workloads['type'] == 'serving').all()
    assert set(usage['workload_id']) == set(workloads['workload_id'])
    assert set(usage['metric']) == {metrics.GPU_UTILIZATION,
                                    metrics.GPU_MEMORY_UTILIZATION,
                                    metrics.MEMORY_UTILIZATION}
    assert usage['value'].between(0, 100).all()
    assert str(usage['timestamp'].dtype).endswith('UTC]')
    gpu = usage[usage['metric'] == metrics.GPU_UTILIZATION]
    assert gpu.groupby('workload_id').size().min() >= 60


def test_zeus_runs_keep_the_measured_average_power():
    runs = datasets.zeus_training_runs(data_locator.data_dir())
    assert len(runs) == 1609
    assert runs['epochs'].min() >= 1
    sample = runs.sample(n=20, random_state=0).reset_index(drop=True)
    workloads, usage = datasets.zeus_training_usage(
        sample, np.random.default_rng(0))
    assert (workloads['type'] == 'training').all()
    series = series_lib.from_usage(usage, workloads['workload_id'])
    block = series.block(metrics.ACCELERATOR_POWER_WATTS)
    average = energy.integrate(block.times, block.values)['average_power_w']
    # Whole epochs average to the measured power; a partial last epoch and
    # the noise move it a little.
    assert average == pytest.approx(sample['average_power'].to_numpy(),
                                    rel=0.1)
