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

import io

import numpy as np
import pandas as pd
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


# Lines in the form nvsmi_monitor.py writes (values made up): a header,
# then one dict a reading, per GPU index; GPU 1 could not be read.
_NVSMI_DICT_LOG = """nvsmi profiling: V100S-PCIE-32GB
{'timestamp_readable': '10:00:00', 'timestamp_raw': 1713000000.0, \
0: {'temp_celsius': 'N/A', 'power_usage': '25W / 250W', \
'memory_usage': '0MiB / 32768MiB', 'gpu_utilization': '0%'}, \
1: {'temp_celsius': 'N/A', 'power_usage': 'N/A', 'memory_usage': 'N/A', \
'gpu_utilization': 'N/A'}, 'num_gpus': 2}
{'timestamp_readable': '10:00:01', 'timestamp_raw': 1713000001.0, \
0: {'temp_celsius': 'N/A', 'power_usage': '230W / 250W', \
'memory_usage': '16384MiB / 32768MiB', 'gpu_utilization': '100%'}, \
1: {'temp_celsius': 'N/A', 'power_usage': 'N/A', 'memory_usage': 'N/A', \
'gpu_utilization': 'N/A'}, 'num_gpus': 2}
{'timestamp_readable': '10:00:01', 'timestamp_raw': 1713000001.0, \
0: {'temp_celsius': 'N/A', 'power_usage': '240W / 250W', \
'memory_usage': '16384MiB / 32768MiB', 'gpu_utilization': '99%'}, \
1: {'temp_celsius': 'N/A', 'power_usage': 'N/A', 'memory_usage': 'N/A', \
'gpu_utilization': 'N/A'}, 'num_gpus': 2}
{'timestamp_readable': '10:00:03', 'timestamp_raw': 1713000003.0, \
0: {'temp_celsius': '61C', 'power_usage': '200W / 250W', \
'memory_usage': '8192MiB / 32768MiB', 'gpu_utilization': '50%'}, \
1: {'temp_celsius': '40C', 'power_usage': '30W / 250W', \
'memory_usage': '0MiB / 32768MiB', 'gpu_utilization': '0%'}, 'num_gpus': 2}
"""

# The tool's first form: one GPU, its readings at the top level.
_NVSMI_DICT_FLAT_LOG = """nvsmi profiling: V100S_PCIE_32GB
{'timestamp_readable': '10:00:00', 'timestamp_raw': 1713000000.0, \
'power_usage': '24W / 250W', 'memory_usage': '0MiB / 32768MiB', \
'gpu_utilization': '0%'}
{'timestamp_readable': '10:00:01', 'timestamp_raw': 1713000001.0, \
'power_usage': '226W / 250W', 'memory_usage': '30652MiB / 32768MiB', \
'gpu_utilization': '100%'}
"""


def _by_metric(usage):
    return {metric: group['value'].to_numpy()
            for metric, group in usage.groupby('metric')}


def test_nvsmi_dict_log_reads_the_runs_gpus_once_a_timestamp():
    usage, gpus = datasets.nvsmi_dict_log(io.StringIO(_NVSMI_DICT_LOG),
                                          'run-1', gpus=1)
    assert gpus == 1
    assert (usage['workload_id'] == 'run-1').all()
    values = _by_metric(usage)
    # The repeated 10:00:01 reading is dropped; GPU 1 is not the run's.
    np.testing.assert_allclose(values[metrics.GPU_UTILIZATION],
                               [0.0, 100.0, 50.0])
    np.testing.assert_allclose(values[metrics.ACCELERATOR_POWER_WATTS],
                               [25.0, 230.0, 200.0])
    np.testing.assert_allclose(values[metrics.GPU_MEMORY_UTILIZATION],
                               [0.0, 50.0, 25.0])
    times = usage.loc[usage['metric'] == metrics.GPU_UTILIZATION,
                      'timestamp']
    assert list(times.dt.second) == [0, 1, 3]
    assert str(times.dtype).endswith('UTC]')


def test_nvsmi_dict_log_sums_power_over_the_runs_gpus():
    usage, _ = datasets.nvsmi_dict_log(io.StringIO(_NVSMI_DICT_LOG),
                                       'run-2', gpus=2)
    values = _by_metric(usage)
    # Only the last reading has both GPUs read.
    np.testing.assert_allclose(values[metrics.ACCELERATOR_POWER_WATTS],
                               [230.0])
    np.testing.assert_allclose(values[metrics.GPU_UTILIZATION], [25.0])
    np.testing.assert_allclose(values[metrics.GPU_MEMORY_UTILIZATION],
                               [12.5])


def test_nvsmi_dict_log_reads_the_one_gpu_form():
    usage, _ = datasets.nvsmi_dict_log(io.StringIO(_NVSMI_DICT_FLAT_LOG),
                                       'run-3')
    values = _by_metric(usage)
    np.testing.assert_allclose(values[metrics.GPU_UTILIZATION],
                               [0.0, 100.0])
    np.testing.assert_allclose(values[metrics.ACCELERATOR_POWER_WATTS],
                               [24.0, 226.0])
    np.testing.assert_allclose(values[metrics.GPU_MEMORY_UTILIZATION],
                               [0.0, 100.0 * 30652 / 32768])


def test_nvidia_smi_runs_reads_each_entry_in_its_format(tmp_path):
    (tmp_path / 'a').mkdir()
    (tmp_path / 'a' / 'run.out').write_text(_NVSMI_DICT_LOG)
    (tmp_path / 'b.csv').write_text(
        'timestamp, power.draw [W], utilization.gpu [%], memory.used [MiB]\n'
        '2024/04/10 09:01:30.100, 300.00 W, 90 %, 40000 MiB\n'
        '2024/04/10 09:01:30.200, 310.00 W, 92 %, 40000 MiB\n')
    manifest = pd.DataFrame([
        {'source': 's1', 'path': 'a/run.out', 'class': 'inference',
         'gpus': 1, 'memory_total_mib': np.nan, 'accelerator': 'V100S',
         'format': datasets.NVSMI_DICT_FORMAT},
        {'source': 's2', 'path': 'b.csv', 'class': 'training', 'gpus': 1,
         'memory_total_mib': 80000, 'accelerator': 'A100',
         'format': np.nan},
        {'source': 's2', 'path': 'missing.csv', 'class': 'training',
         'gpus': 1, 'memory_total_mib': 80000, 'accelerator': 'A100',
         'format': np.nan}])
    workloads, usage = datasets.nvidia_smi_runs(manifest, tmp_path)
    assert list(workloads['workload_id']) == ['s1-0', 's2-1']
    assert list(workloads['type']) == ['inference', 'training']
    counts = usage.groupby('workload_id')['timestamp'].nunique()
    assert counts.to_dict() == {'s1-0': 3, 's2-1': 2}
    memory = usage[(usage['workload_id'] == 's2-1')
                   & (usage['metric'] == metrics.GPU_MEMORY_UTILIZATION)]
    np.testing.assert_allclose(memory['value'], [50.0, 50.0])
