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
"""Generator of synthetic training, inference and serving telemetry.

No public trace puts a training / inference / serving label next to
per-workload utilisation series, so the classifier learns from real series
labelled by their source (see :mod:`.datasets`) plus series from this
generator. Every parameter below names the real trace it was read from
(the folders of the shared data directory; figures as computed from those
files):

training
    * duration: log-normal, ``mu=8.27, sigma=1.46`` (ln seconds), fitted to
      the Philly job runtimes of at least 10 minutes
      (``alibaba_pai_v2020_partial/philly_runtime.csv``: median 2,575 s).
    * GPU utilisation while running: 60 % of jobs in 90-100 % (AcmeTrace
      Seren/Kalos GPU_UTIL median 98-99 %, p75 99 %), 25 % in 40-92 %
      (Philly GPU_UTIL median 48.4 %, p75 92 %), 15 % input-bound at
      15-60 %
      (``acme_shlab_llm_cluster_util_cdfs``).
    * GPU memory 40-90 % (AcmeTrace GPU_FB_USED median 39-75 %, p90
      83-88 %); host CPU 5-40 % (NODE_CPU_UTIL p25-p90 0.6-45 %); host
      memory 5-35 % (NODE_MEMORY_UTIL median 7-15 %, p90 19-33 %).
    * epoch period log-uniform 300-10,000 s (Zeus ``time_per_epoch``,
      p10-p90 11-9,996 s, ``zeus_gpu_power_profiles/summary_power_*.csv``;
      periods under two samples are invisible at 30 s); a validation or
      checkpoint dip of 3-12 % of the epoch at 20-60 % of the level,
      except for half of the 90-100 % jobs, which run steadily (LLM
      pretraining has no epochs; AcmeTrace GPU_UTIL p75 of 99 % is a
      flat line) -- the share is an assumption.
    * power: average at 0.6-0.97 of the power cap (Zeus average_power /
      power_limit, p50 0.80, p90 0.97); caps of the Zeus GPUs (250-300 W)
      and of A100/H100 (400/700 W).
    * 1-64 GPUs, data-parallel all-reduce traffic rx about equal to tx.

inference (finite batch jobs)
    * level 45-95 % (ML.ENERGY v3 per-GPU power over TDP, p10-p90
      0.47-0.92, ``mlenergy_inference_power_v3``).
    * batch cycle log-uniform 2-900 s (ML.ENERGY ``batch_latency_s``
      p10-p90 2-938 s) with 5-30 % of each cycle spent loading the next
      batch at low utilisation.
    * duration: log-normal with a median of 40 minutes, ``sigma=1`` -- an
      assumption: no public trace here gives batch-inference job lengths.
    * read-heavy disk and rx-heavy network (inputs in, results out).

serving (long-running online endpoints)
    * daily cycle: amplitude 0.10-0.45 of the mean, i.e. hourly
      peak/trough 1.2-2.6 (ServeGen per-model rates, days 1-12 only -- the
      last 48 h are an evaluation window -- peak/trough 1.44-2.30,
      ``alibaba_servegen_llm_serving_rates``).
    * per-sample load noise: log-normal ``sigma`` 0.2-0.4 (Azure LLM
      conversation trace, CoV of per-minute arrivals 0.29,
      ``azure_llm_inference_2023``).
    * half the endpoints sparse like the Stable Diffusion pods (per-pod
      mean GPU duty 2-12 %, idle share 0.68-0.89,
      ``alibaba_genai_serving_2026_dev``), half busy like LLM serving at
      25-85 % (ML.ENERGY per-GPU power fractions).
    * GPU memory flat at 40-95 % (Stable Diffusion pods hold 45-62 % of a
      48 GB GPU; vLLM reserves 90 % by default).
    * running through the whole observed window (30 minutes to 2 days,
      so short looks at a long-running endpoint are in the set); 1-8
      accelerators.

Whatever the class, metrics are dropped at random (each optional metric
absent with a set probability, 30 % of workloads report only GPU, GPU
memory and host memory like the Alibaba pods and 10 % only accelerator
power like the Zeus runs), and 15 % use NPUs in place of GPUs, so that
which metrics exist says nothing about the class. A quarter of the
training jobs are input-bound: 15-60 % utilisation, noisier.
"""

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics
from kcloud_analyzer.workload_analyzer import series as series_lib

CLASSES = metrics.WORKLOAD_TYPES

#: Sampling intervals seen in practice: the collection interval (30 s) and
#: the Alibaba pods' one minute.
SAMPLING_INTERVALS_S = (30.0, 60.0)

TRAINING_DURATION_LOG_MU = 8.27
TRAINING_DURATION_LOG_SIGMA = 1.46
INFERENCE_DURATION_MEDIAN_S = 2400.0
INFERENCE_DURATION_LOG_SIGMA = 1.0

#: Sample noise (standard deviation, percentage points) of memory and CPU
#: utilisation: drawn per workload from the same range whatever the class,
#: so that the noise level says nothing about the class.
MEMORY_NOISE = (0.05, 3.0)
CPU_NOISE = (0.5, 5.0)

#: Observed window: log-uniform between these (seconds). The agent
#: classifies a workload from its first rollups on, so a long-running
#: endpoint or job may have been watched for half an hour only; how long
#: it was watched must not decide the class.
WINDOW_RANGE_S = (1800.0, 48 * 3600.0)

#: Share of the saturated (90-100 %) training jobs without a visible
#: validation or checkpoint dip.
STEADY_SHARE = 0.5

#: Probability that an optional metric is absent.
DROP_PROBABILITY = {
    metrics.CPU_UTILIZATION: 0.3,
    metrics.MEMORY_UTILIZATION: 0.15,
    metrics.GPU_MEMORY_UTILIZATION: 0.1,
    metrics.ACCELERATOR_POWER_WATTS: 0.4,
    metrics.POWER_WATTS: 0.6,
    metrics.NETWORK_RX_BYTES_PER_S: 0.5,
    metrics.DISK_READ_BYTES_PER_S: 0.6,
}
ALIBABA_LIKE_SHARE = 0.3
POWER_ONLY_SHARE = 0.1
NPU_SHARE = 0.15

_POWER_CAPS_W = np.array([250.0, 260.0, 300.0, 400.0, 700.0])
_TRAINING_GPU_COUNTS = np.array([1, 2, 4, 8, 16, 32, 64])
_TRAINING_GPU_WEIGHTS = np.array([0.3, 0.15, 0.15, 0.2, 0.1, 0.05, 0.05])
_SMALL_GPU_COUNTS = np.array([1, 2, 4, 8])
_SMALL_GPU_WEIGHTS = np.array([0.55, 0.2, 0.15, 0.1])


def _log_uniform(rng, low, high, size):
    return np.exp(rng.uniform(np.log(low), np.log(high), size))


def _noise(rng, k, t, low, high):
    """Gaussian sample noise with a per-workload level, log-uniform."""
    return (rng.normal(0, 1, (k, len(t)))
            * _log_uniform(rng, low, high, k)[:, None])


def _training(rng, k, t, window_s):
    kind = rng.random(k)
    level = np.select([kind < 0.6, kind < 0.85],
                      [rng.uniform(90, 100, k), rng.uniform(40, 92, k)],
                      rng.uniform(15, 60, k))
    period = _log_uniform(rng, 300, 10000, k)
    dip_length = period * rng.uniform(0.03, 0.12, k)
    dip_depth = rng.uniform(0.2, 0.6, k)
    ramp = rng.uniform(60, 900, k)
    # Half of the saturated jobs run without a visible dip: pretraining
    # streams its data with no epochs, and a checkpoint stall shorter than
    # the sampling interval is averaged out.
    steady = (kind < 0.6) & (rng.random(k) < STEADY_SHARE)
    dip_length = np.where(steady, 0.0, dip_length)
    phase = np.mod(t[None, :] + rng.uniform(0, 1, k)[:, None]
                   * period[:, None], period[:, None])
    shape = np.where(phase < dip_length[:, None], dip_depth[:, None], 1.0)
    shape = np.where(t[None, :] < ramp[:, None], 0.3, shape)
    # Input-bound jobs (the last kind) wait on their data loaders: a lower
    # and noisier level.
    noise = np.where(kind >= 0.85, _log_uniform(rng, 5, 10, k),
                     _log_uniform(rng, 1, 5, k))
    util = level[:, None] * shape + rng.normal(0, 1, (k, len(t))) * noise[
        :, None]
    duration = np.exp(rng.normal(TRAINING_DURATION_LOG_MU,
                                 TRAINING_DURATION_LOG_SIGMA, k))
    accelerators = rng.choice(_TRAINING_GPU_COUNTS, k,
                              p=_TRAINING_GPU_WEIGHTS)
    # All-reduce moves the same volume in and out, more with more GPUs.
    network = (10 ** rng.uniform(6, 8, k)) * np.sqrt(accelerators)
    return {
        'util': util,
        'accel_memory': (rng.uniform(40, 90, k)[:, None]
                         + _noise(rng, k, t, *MEMORY_NOISE)),
        'cpu': (rng.uniform(5, 40, k)[:, None] * shape
                + _noise(rng, k, t, *CPU_NOISE)),
        'memory': (rng.uniform(5, 35, k)[:, None]
                   + _noise(rng, k, t, *MEMORY_NOISE)),
        'power_fraction': rng.uniform(0.6, 0.97, k),
        'duration': np.minimum(duration, window_s),
        'accelerators': accelerators,
        'rx': network * rng.uniform(0.9, 1.1, k),
        'tx': network * rng.uniform(0.9, 1.1, k),
        'disk_read': 10 ** rng.uniform(5, 7.5, k),
        'disk_write': 10 ** rng.uniform(5, 7, k),
    }


def _inference(rng, k, t, window_s):
    level = rng.uniform(45, 95, k)
    cycle = _log_uniform(rng, 2, 900, k)
    loading = rng.uniform(0.05, 0.3, k)
    step = t[1] - t[0]
    # A cycle shorter than the sampling interval is averaged out by the
    # exporter; a longer one shows as a square wave.
    phase = np.mod(t[None, :] + rng.uniform(0, 1, k)[:, None]
                   * cycle[:, None], cycle[:, None])
    square = np.where(phase < loading[:, None] * cycle[:, None], 0.1, 1.0)
    averaged = (1 - loading * 0.9)[:, None]
    shape = np.where((cycle > 2 * step)[:, None], square, averaged)
    util = level[:, None] * shape + _noise(rng, k, t, 1, 6)
    duration = np.exp(rng.normal(np.log(INFERENCE_DURATION_MEDIAN_S),
                                 INFERENCE_DURATION_LOG_SIGMA, k))
    accelerators = rng.choice(_SMALL_GPU_COUNTS, k, p=_SMALL_GPU_WEIGHTS)
    inputs = 10 ** rng.uniform(5.5, 8, k)
    return {
        'util': util,
        'accel_memory': (rng.uniform(30, 85, k)[:, None]
                         + _noise(rng, k, t, *MEMORY_NOISE)),
        'cpu': (rng.uniform(10, 60, k)[:, None]
                + _noise(rng, k, t, *CPU_NOISE)),
        'memory': (rng.uniform(10, 60, k)[:, None]
                   + _noise(rng, k, t, *MEMORY_NOISE)),
        'power_fraction': rng.uniform(0.47, 0.92, k),
        'duration': np.minimum(np.maximum(duration, 300), window_s),
        'accelerators': accelerators,
        'rx': inputs,
        'tx': inputs * rng.uniform(0.01, 0.3, k),
        'disk_read': inputs * rng.uniform(0.5, 2, k),
        'disk_write': inputs * rng.uniform(0.01, 0.2, k),
    }


def _serving(rng, k, t, window_s, start_s):
    sparse = rng.random(k) < 0.5
    mean_level = np.where(sparse, rng.uniform(2, 12, k),
                          rng.uniform(25, 85, k))
    amplitude = rng.uniform(0.1, 0.45, k)
    peak_hour = rng.uniform(0, 24, k)
    hours = np.mod(start_s + t, 86400.0) / 3600.0
    daily = 1 + amplitude[:, None] * np.cos(
        2 * np.pi * (hours[None, :] - peak_hour[:, None]) / 24.0)
    sigma = rng.uniform(0.2, 0.4, k)
    noise = np.exp(rng.normal(0, 1, (k, len(t))) * sigma[:, None]
                   - sigma[:, None] ** 2 / 2)
    load = mean_level[:, None] * daily * noise
    # Sparse endpoints are idle most of the time and serve in bursts: a
    # sample is busy with a probability that follows the load.
    busy_probability = np.clip(load / 35.0, 0, 1)
    bursts = np.where(rng.random((k, len(t))) < busy_probability,
                      rng.uniform(15, 95, (k, len(t))),
                      rng.exponential(0.5, (k, len(t))))
    util = np.where(sparse[:, None], bursts, load)
    accelerators = rng.choice(_SMALL_GPU_COUNTS, k, p=_SMALL_GPU_WEIGHTS)
    requests = 10 ** rng.uniform(4, 7, k)
    return {
        'util': util,
        'accel_memory': (rng.uniform(40, 95, k)[:, None]
                         + _noise(rng, k, t, *MEMORY_NOISE)),
        'cpu': (rng.uniform(3, 30, k)[:, None] * daily
                + _noise(rng, k, t, *CPU_NOISE)),
        'memory': (rng.uniform(10, 85, k)[:, None]
                   + _noise(rng, k, t, *MEMORY_NOISE)),
        'power_fraction': rng.uniform(0.3, 0.8, k),
        'duration': np.full(k, window_s),
        'accelerators': accelerators,
        'rx': requests,
        'tx': requests * rng.uniform(0.8, 5, k),
        'disk_read': 10 ** rng.uniform(3, 5, k),
        'disk_write': 10 ** rng.uniform(3, 5, k),
    }


def generate(count, workload_class, rng, step_s=None, window_s=None,
             start_s=None, prefix=None, dtype=np.float64,
             drop_metrics=True, whole_window=False, npu_share=NPU_SHARE):
    """Generate ``count`` workloads of one class on one time axis.

    :param rng: a :class:`numpy.random.Generator` (the caller owns the
        seed).
    :param step_s: sampling interval; random from
        :data:`SAMPLING_INTERVALS_S` when None.
    :param window_s: observed window; random between 30 minutes and 2
        days.
    :param start_s: epoch seconds of the first sample; random when None.
    :param drop_metrics: drop metrics at random as described above; when
        False every workload reports every metric (benchmarks).
    :param whole_window: keep every workload running for the whole window
        (benchmarks), even finite jobs.
    :param npu_share: share of workloads on NPUs rather than GPUs.
    :returns: ``(series, workloads)``: a
        :class:`~kcloud_analyzer.workload_analyzer.series.SeriesSet` and a
        workloads DataFrame in the offline shape (``type`` holds the
        class).
    """
    if step_s is None:
        step_s = float(rng.choice(SAMPLING_INTERVALS_S))
    if window_s is None:
        window_s = float(_log_uniform(rng, *WINDOW_RANGE_S, None))
    if start_s is None:
        start_s = float(1.6e9 + rng.integers(0, 3 * 365) * 86400
                        + rng.uniform(0, 86400))
    t = np.arange(0.0, window_s, step_s)
    k = count
    if workload_class == 'training':
        parts = _training(rng, k, t, window_s)
    elif workload_class == 'inference':
        parts = _inference(rng, k, t, window_s)
    elif workload_class == 'serving':
        parts = _serving(rng, k, t, window_s, start_s)
    else:
        raise ValueError(f'unknown workload class {workload_class!r}')

    if whole_window:
        parts['duration'] = np.full(k, window_s)
    running = t[None, :] < parts['duration'][:, None]
    cap = rng.choice(_POWER_CAPS_W, k)
    idle_w = cap * rng.uniform(0.15, 0.25, k)
    util = np.clip(parts['util'], 0, 100)
    accelerator_power = (idle_w[:, None] + (cap * parts['power_fraction']
                                            - idle_w)[:, None]
                         * util / 100.0) * parts['accelerators'][:, None]
    host_power = accelerator_power + rng.uniform(150, 600, k)[:, None]
    wobble = rng.normal(1, 0.05, (k, len(t)))
    values = {
        'util': util,
        'accel_memory': np.clip(parts['accel_memory'], 0, 100),
        metrics.CPU_UTILIZATION: np.clip(parts['cpu'], 0, 100),
        metrics.MEMORY_UTILIZATION: np.clip(parts['memory'], 0, 100),
        metrics.ACCELERATOR_POWER_WATTS: accelerator_power,
        metrics.POWER_WATTS: host_power,
        metrics.NETWORK_RX_BYTES_PER_S: parts['rx'][:, None] * wobble,
        metrics.NETWORK_TX_BYTES_PER_S: parts['tx'][:, None] * wobble,
        metrics.DISK_READ_BYTES_PER_S: parts['disk_read'][:, None] * wobble,
        metrics.DISK_WRITE_BYTES_PER_S: (parts['disk_write'][:, None]
                                         * wobble),
    }
    npu = rng.random(k) < npu_share
    draw = rng.random(k) if drop_metrics else np.ones(k)
    alibaba_like = draw < ALIBABA_LIKE_SHARE
    power_only = (draw >= ALIBABA_LIKE_SHARE) & (
        draw < ALIBABA_LIKE_SHARE + POWER_ONLY_SHARE)
    full = ~alibaba_like & ~power_only
    present = {name: full & (rng.random(k) >= probability * drop_metrics)
               for name, probability in DROP_PROBABILITY.items()}
    present[metrics.MEMORY_UTILIZATION] |= alibaba_like
    present[metrics.GPU_MEMORY_UTILIZATION] |= alibaba_like
    present[metrics.ACCELERATOR_POWER_WATTS] |= power_only
    present['util'] = ~power_only
    present[metrics.NETWORK_TX_BYTES_PER_S] = present[
        metrics.NETWORK_RX_BYTES_PER_S]
    present[metrics.DISK_WRITE_BYTES_PER_S] = present[
        metrics.DISK_READ_BYTES_PER_S]

    blocks = {}
    device_metrics = (
        ('util', metrics.GPU_UTILIZATION, metrics.NPU_UTILIZATION),
        ('accel_memory', metrics.GPU_MEMORY_UTILIZATION,
         metrics.NPU_MEMORY_UTILIZATION))
    times = start_s + t
    for key, gpu_metric, npu_metric in device_metrics:
        shown = present.get(gpu_metric, present['util'])
        for metric, rows in ((gpu_metric, shown & ~npu),
                             (npu_metric, shown & npu)):
            block = np.where(rows[:, None] & running, values[key], np.nan)
            blocks[metric] = series_lib.MetricBlock(
                times=times, values=block.astype(dtype))
    for metric in (metrics.CPU_UTILIZATION, metrics.MEMORY_UTILIZATION,
                   metrics.ACCELERATOR_POWER_WATTS, metrics.POWER_WATTS,
                   metrics.NETWORK_RX_BYTES_PER_S,
                   metrics.NETWORK_TX_BYTES_PER_S,
                   metrics.DISK_READ_BYTES_PER_S,
                   metrics.DISK_WRITE_BYTES_PER_S):
        block = np.where(present[metric][:, None] & running,
                         values[metric], np.nan)
        blocks[metric] = series_lib.MetricBlock(times=times,
                                                values=block.astype(dtype))
    prefix = prefix or f'synthetic-{workload_class}'
    ids = np.array([f'{prefix}-{i}' for i in range(k)], dtype=object)
    accelerators = parts['accelerators']
    workloads = pd.DataFrame({
        'workload_id': ids,
        'type': workload_class,
        'cpu_cores': accelerators * 8.0,
        'memory_gb': accelerators * 64.0,
        'gpu_count': np.where(npu, 0, accelerators),
        'npu_count': np.where(npu, accelerators, 0),
        'accelerator': np.where(npu, 'npu', 'gpu'),
        'project_id': 'synthetic',
    })
    return series_lib.SeriesSet(workload_ids=ids, blocks=blocks), workloads
