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
"""Rebuild the bundled sample trace from the public traces.

Run as ``python -m kcloud_analyzer.data.sample_trace_build`` with the
trace folder available (``KCLOUD_ANALYZER_DATA_DIR``). It only reads the
Apache-2.0, MIT and CC BY sources listed in sample_trace_ATTRIBUTION.txt
and writes sample_trace_workloads.csv and sample_trace_usage.csv.gz next
to this file; a fixed seed makes the output reproducible.

How each class is derived:

- training: GPU, framebuffer, node CPU and memory utilisation and per-GPU
  power drawn from AcmeTrace's measured distributions of its A100 LLM
  clusters (Seren, Kalos);
- inference (finite batch jobs): ML.ENERGY's per-configuration average
  power of an offline task on H100, busy for part of the window and then
  finished;
- serving: the per-minute request rate of Azure's 2023 LLM inference
  trace (code and conversation services) drives GPU utilisation; power
  moves between idle and ML.ENERGY's serving power with it.
"""

import pathlib

import numpy as np
import pandas as pd

from kcloud_analyzer.common import datasets

HERE = pathlib.Path(__file__).resolve().parent
STEP_S = 120
HOURS = 6
START = pd.Timestamp('2026-01-05T00:00:00Z')


def _quantile_sampler(cdfs, cluster, metric):
    curve = cdfs[(cdfs['cluster'] == cluster) & (cdfs['metric'] == metric)]
    percent = curve['cdf_percent'].to_numpy() / 100.0
    values = curve['value'].to_numpy()
    return lambda rng, n, low=0.0, high=1.0: np.interp(
        rng.uniform(low, high, n), percent, values)


def _azure_rate(path, steps):
    arrivals = pd.to_datetime(pd.read_csv(path)['TIMESTAMP'])
    per_step = arrivals.dt.floor('%ds' % STEP_S).value_counts().sort_index()
    rate = per_step.to_numpy(dtype=float)
    # the trace covers one hour: tile it over the replay window
    return np.resize(rate, steps) / rate.max()


def build(data_dir=None):
    data = pathlib.Path(data_dir or datasets.data_dir())
    rng = np.random.default_rng(20260105)
    steps = HOURS * 3600 // STEP_S
    times = START + pd.to_timedelta(np.arange(steps) * STEP_S, unit='s')
    cdfs = pd.read_csv(data / 'acme_shlab_llm_cluster_util_cdfs' /
                       'acme_util_cdfs_long.csv')
    energy = pd.read_csv(data / 'mlenergy_inference_power_v3' /
                         'mlenergy_v3_configurations_flat.csv')
    azure = data / 'azure_llm_inference_2023'

    workloads, usage = [], []

    def add(workload_id, kind, cpu, mem, gpus, accelerator, series,
            declared=True):
        workloads.append({
            'workload_id': workload_id, 'type': kind if declared else '',
            'cpu_cores': cpu, 'memory_gb': mem, 'gpu_count': gpus,
            'npu_count': 0, 'accelerator': accelerator,
            'project_id': 'demo-%s' % kind})
        for metric, values in series.items():
            keep = ~np.isnan(values)
            usage.append(pd.DataFrame({
                'workload_id': workload_id,
                'timestamp': times[keep].strftime('%Y-%m-%dT%H:%M:%SZ'),
                'metric': metric, 'value': np.round(values[keep], 2)}))

    def training(workload_id, cluster, gpus, cpu, mem, declared):
        gpu_util = _quantile_sampler(cdfs, cluster, 'GPU_UTIL_pct')(
            rng, steps, 0.55, 1.0)
        cpu_util = _quantile_sampler(cdfs, cluster, 'NODE_CPU_UTIL_pct')(
            rng, steps, 0.3, 0.9)
        mem_util = _quantile_sampler(cdfs, cluster, 'NODE_MEMORY_UTIL_pct')(
            rng, steps, 0.4, 0.9)
        fb = _quantile_sampler(cdfs, cluster, 'GPU_FB_USED_pct_of_80GB')(
            rng, steps, 0.6, 0.95)
        # busy training GPUs draw from the upper part of the fleet's power
        power = _quantile_sampler(cdfs, cluster, 'GPU_POWER_W_august')(
            rng, steps, 0.75, 0.98) * gpus
        power_noise = rng.normal(1.0, 0.03, steps)
        add(workload_id, 'training', cpu, mem, gpus, 'A100', {
            'gpu_utilization': gpu_util, 'cpu_utilization': cpu_util,
            'memory_utilization': mem_util, 'gpu_memory_utilization': fb,
            'accelerator_power_watts': power * power_noise,
            'power_watts': power * power_noise + 180.0 + 2.0 * cpu_util,
        }, declared)

    training('train-sft-a100', 'Seren', 1, 16, 128, True)
    training('train-pretrain-a100x2', 'Seren', 2, 32, 256, False)
    training('train-llm-a100x8', 'Kalos', 8, 96, 960, False)

    def inference(workload_id, task, gpu, busy_fraction, declared):
        configs = energy[(energy['task'] == task) &
                         (energy['gpu_model'] == gpu)]
        config = configs.iloc[len(configs) // 2]
        gpus = int(config['num_gpus'])
        per_gpu = float(config['avg_power_watts']) / gpus
        busy = np.arange(steps) < int(steps * busy_fraction)
        util = np.where(busy, rng.uniform(85, 99, steps), np.nan)
        power = np.where(busy, per_gpu * gpus * rng.normal(1, 0.04, steps),
                         np.nan)
        cpu_util = np.where(busy, rng.uniform(20, 45, steps), np.nan)
        add(workload_id, 'inference', 8 * gpus, 64 * gpus, gpus, gpu, {
                'gpu_utilization': util, 'cpu_utilization': cpu_util,
                'memory_utilization': np.where(
                    busy, rng.uniform(40, 60, steps), np.nan),
                'gpu_memory_utilization': np.where(
                    busy, rng.uniform(70, 90, steps), np.nan),
                'accelerator_power_watts': power,
                'power_watts': power + 150.0 + 2.0 * np.nan_to_num(cpu_util),
            }, declared)

    inference('infer-batch-gpqa-h100', 'gpqa', 'H100', 0.5, True)
    inference('infer-batch-t2i-h100', 'text-to-image', 'H100', 0.35, False)

    def serving(workload_id, trace, task, gpu, declared):
        load = _azure_rate(azure / trace, steps)
        configs = energy[(energy['task'] == task) &
                         (energy['gpu_model'] == gpu)]
        config = configs.iloc[len(configs) // 2]
        gpus = int(config['num_gpus'])
        busy_power = float(config['avg_power_watts']) / gpus
        idle_power = 0.25 * busy_power
        util = np.clip(load * rng.uniform(55, 75) +
                       rng.normal(0, 3, steps), 0, 100)
        power = gpus * (idle_power + (busy_power - idle_power) * util / 100)
        cpu_util = np.clip(5 + 0.3 * util + rng.normal(0, 2, steps), 0, 100)
        add(workload_id, 'serving', 8 * gpus, 64 * gpus, gpus, gpu, {
            'gpu_utilization': util, 'cpu_utilization': cpu_util,
            'memory_utilization': np.clip(
                55 + rng.normal(0, 1.5, steps), 0, 100),
            # model weights and KV cache stay resident between requests
            'gpu_memory_utilization': np.clip(
                88 + rng.normal(0, 1, steps), 0, 100),
            'accelerator_power_watts': power,
            'power_watts': power + 150.0 + 2.0 * cpu_util,
        }, declared)

    serving('serve-chat-h100', 'AzureLLMInferenceTrace_conv.csv',
            'lm-arena-chat', 'H100', True)
    serving('serve-code-h100', 'AzureLLMInferenceTrace_code.csv',
            'sourcegraph-fim', 'H100', False)
    serving('serve-imagechat-h100', 'AzureLLMInferenceTrace_conv.csv',
            'image-chat', 'H100', False)

    workloads = pd.DataFrame(workloads)
    usage = pd.concat(usage, ignore_index=True).sort_values(
        ['timestamp', 'workload_id', 'metric'], kind='stable')
    return workloads, usage


def main():
    workloads, usage = build()
    workloads.to_csv(HERE / 'sample_trace_workloads.csv', index=False)
    usage.to_csv(HERE / 'sample_trace_usage.csv.gz', index=False,
                 compression={'method': 'gzip', 'mtime': 0})
    print('wrote %d workloads and %d usage rows' % (len(workloads),
                                                     len(usage)))


if __name__ == '__main__':
    main()
