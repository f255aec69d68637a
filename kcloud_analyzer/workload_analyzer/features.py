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
"""Classifier features, built from the resource and energy profiles.

The accelerator figures use the GPU metrics when the workload reported
them and the NPU metrics otherwise, so one model serves both kinds of
device. A feature the workload's telemetry cannot give is NaN; the
classifiers handle NaN themselves (no made-up zeros).

=========================  ==================================================
feature                    meaning
=========================  ==================================================
accel_util_mean            mean accelerator utilisation, %
accel_util_p50             median accelerator utilisation, %
accel_util_p95             95th percentile of accelerator utilisation, %
accel_util_std             standard deviation of accelerator utilisation
accel_util_idle_share      share of samples with accelerator below 5 %
accel_memory_mean          mean accelerator memory utilisation, %
accel_memory_std           standard deviation of accelerator memory
util_to_memory             accel_util_mean / accel_memory_mean: low for a
                           model kept resident and used now and then
memory_util_mean           mean host memory utilisation, %
memory_util_std            standard deviation of host memory utilisation
cpu_util_mean              mean CPU utilisation, %
burstiness                 (std - mean) / (std + mean) of the main metric
peak_to_mean               p95 / mean of the main metric
periodicity_strength       variance share of the dominant period
dominant_period_log10_s    log10 of the dominant period in seconds
diurnal_strength           variance share explained by the hour of day
accelerator_count          allocated GPUs + NPUs
multi_node                 1 when more accelerators than one host holds (8)
network_log10_bytes_per_s  log10(1 + mean rx + mean tx)
network_rx_share           rx / (rx + tx)
disk_read_share            read / (read + write)
power_cov                  coefficient of variation of power
power_near_idle_share      share of power samples near the idle level
=========================  ==================================================

How long a workload happened to be watched is not a feature: a serving
endpoint seen for ten minutes is still a serving endpoint. How much was
seen is kept beside the features (``samples``) and weighs the telemetry
in :mod:`.calibration` instead.

Besides :data:`FEATURES` the frame holds the context columns
:data:`CONTEXT`, which no model is trained on:

=========================  ==================================================
samples                    samples of the metric the shape figures describe
                           (accelerator utilisation when reported)
only_utilisation           1 when no telemetry but accelerator utilisation
                           (memory, power, host, network, disk all missing)
=========================  ==================================================
"""

import concurrent.futures

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics
from kcloud_analyzer.workload_analyzer import energy
from kcloud_analyzer.workload_analyzer import profile

FEATURES = (
    'accel_util_mean', 'accel_util_p50', 'accel_util_p95', 'accel_util_std',
    'accel_util_idle_share', 'accel_memory_mean', 'accel_memory_std',
    'util_to_memory', 'memory_util_mean', 'memory_util_std',
    'cpu_util_mean', 'burstiness', 'peak_to_mean', 'periodicity_strength',
    'dominant_period_log10_s', 'diurnal_strength',
    'accelerator_count', 'multi_node', 'network_log10_bytes_per_s',
    'network_rx_share', 'disk_read_share', 'power_cov',
    'power_near_idle_share',
)

CONTEXT = ('samples', 'only_utilisation')

#: The features the trained model uses. Left out: those that tell how a
#: source was sampled rather than what runs (standard deviations,
#: periodicity and dominant period move with the sampling interval) and
#: those only one labelled source reports (host memory and the daily cycle
#: come only with the serving pods), which a model learns as that
#: source's fingerprint: in leave-one-source-out evaluation they lowered
#: the macro-F1 on real jobs from 0.57 to 0.46.
MODEL_FEATURES = (
    'accel_util_mean', 'accel_util_p50', 'accel_util_p95',
    'accel_util_idle_share', 'accel_memory_mean', 'util_to_memory',
    'burstiness', 'peak_to_mean', 'accelerator_count',
    'network_log10_bytes_per_s', 'network_rx_share', 'disk_read_share',
    'power_cov', 'power_near_idle_share',
)

#: Features that, with the accelerator utilisation, tell the classes apart;
#: when all are missing only the utilisation was seen.
_BEYOND_UTILISATION = (
    'accel_memory_mean', 'memory_util_mean', 'cpu_util_mean',
    'network_log10_bytes_per_s', 'disk_read_share', 'power_cov')

#: Accelerators one host holds; more than this means several nodes.
ACCELERATORS_PER_HOST = 8


def _floats(columns, name):
    return np.asarray(columns[name], dtype=float)


def _column(columns, metric, figure):
    return _floats(columns, profile.column(metric, figure))


def _accelerator(frame, figure, gpu_metric, npu_metric):
    gpu = _column(frame, gpu_metric, figure)
    npu = _column(frame, npu_metric, figure)
    has_gpu = _column(frame, gpu_metric, 'count') > 0
    return np.where(has_gpu, gpu, npu)


def _ratio(numerator, denominator):
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def build(resource_profile, energy_profile, index=None):
    """Build the feature frame (columns :data:`FEATURES`).

    :param resource_profile: output of
        :func:`~kcloud_analyzer.workload_analyzer.profile.resource_profile`
        (or its columns, :func:`~kcloud_analyzer.workload_analyzer.
        profile.resource_columns`).
    :param energy_profile: output of
        :func:`~kcloud_analyzer.workload_analyzer.energy.energy_profile`,
        same rows (or its columns).
    :param index: the frame's index; by default the resource profile's.
    """
    rp = resource_profile
    util = {figure: _accelerator(rp, figure, metrics.GPU_UTILIZATION,
                                 metrics.NPU_UTILIZATION)
            for figure in ('mean', 'p50', 'p95', 'std', 'idle_share')}
    memory = {figure: _accelerator(rp, figure,
                                   metrics.GPU_MEMORY_UTILIZATION,
                                   metrics.NPU_MEMORY_UTILIZATION)
              for figure in ('mean', 'std')}
    rx = _column(rp, metrics.NETWORK_RX_BYTES_PER_S, 'mean')
    tx = _column(rp, metrics.NETWORK_TX_BYTES_PER_S, 'mean')
    read = _column(rp, metrics.DISK_READ_BYTES_PER_S, 'mean')
    write = _column(rp, metrics.DISK_WRITE_BYTES_PER_S, 'mean')
    accelerators = (_floats(rp, 'gpus_allocated')
                    + _floats(rp, 'npus_allocated'))
    period = _floats(rp, 'dominant_period_s')
    with np.errstate(invalid='ignore', divide='ignore'):
        period_log = np.log10(period)
        network_log = np.log10(1.0 + rx + tx)
    columns = {
        'accel_util_mean': util['mean'],
        'accel_util_p50': util['p50'],
        'accel_util_p95': util['p95'],
        'accel_util_std': util['std'],
        'accel_util_idle_share': util['idle_share'],
        'accel_memory_mean': memory['mean'],
        'accel_memory_std': memory['std'],
        'util_to_memory': _ratio(util['mean'], memory['mean']),
        'memory_util_mean': _column(rp, metrics.MEMORY_UTILIZATION, 'mean'),
        'memory_util_std': _column(rp, metrics.MEMORY_UTILIZATION, 'std'),
        'cpu_util_mean': _column(rp, metrics.CPU_UTILIZATION, 'mean'),
        'burstiness': _floats(rp, 'burstiness'),
        'peak_to_mean': _floats(rp, 'peak_to_mean'),
        'periodicity_strength': _floats(rp, 'periodicity_strength'),
        'dominant_period_log10_s': period_log,
        'diurnal_strength': _floats(rp, 'diurnal_strength'),
        'accelerator_count': accelerators,
        'multi_node': np.where(np.isnan(accelerators), np.nan,
                               (accelerators > ACCELERATORS_PER_HOST)
                               .astype(float)),
        'network_log10_bytes_per_s': network_log,
        'network_rx_share': _ratio(rx, rx + tx),
        'disk_read_share': _ratio(read, read + write),
        'power_cov': _floats(energy_profile, 'power_cov'),
        'power_near_idle_share': _floats(energy_profile,
                                         'power_near_idle_share'),
    }
    columns['samples'] = _samples(rp)
    columns['only_utilisation'] = np.isnan(
        [columns[name] for name in _BEYOND_UTILISATION]).all(
        axis=0).astype(float)
    # One frame made in the columns' final order (no selection copying
    # it again).
    return pd.DataFrame({name: columns[name] for name in FEATURES + CONTEXT},
                        index=rp.index if index is None else index)


def _samples(rp):
    """Samples of the primary metric (the most of any metric without)."""
    primary = np.asarray(rp['primary_metric'], dtype=object)
    names = [name for name in rp.keys() if name.endswith('.count')]
    most = (np.max([_floats(rp, name) for name in names], axis=0)
            if names else np.zeros(len(primary)))
    chosen = most.copy()
    for metric in {p for p in set(primary.tolist()) if isinstance(p, str)}:
        name = profile.column(metric, 'count')
        if name in rp:
            mask = primary == metric
            chosen[mask] = _floats(rp, name)[mask]
    return chosen


def analyze(series, workloads=None, max_gap_s=None):
    """Profiles and features of every workload in one call.

    :returns: ``(resource_profile, energy_profile, features)``.
    """
    index = pd.Index(series.workload_ids, name='workload_id')
    # The features are read from the columns before any frame is made:
    # pandas' column lookups cost more than the figures on small chunks.
    resources = profile.resource_columns(series, workloads)
    energies = energy.energy_columns(series, max_gap_s)
    feature_frame = build(resources, energies, index=index)
    return (pd.DataFrame(resources, index=index),
            energy.energy_frame(energies, series.workload_ids),
            feature_frame)


def analyze_in_chunks(series, workloads=None, max_gap_s=None,
                      chunk_rows=1250, workers=2, on_chunk=None,
                      executor=None):
    """:func:`analyze` over blocks of ``chunk_rows`` workloads.

    Smaller blocks keep the temporaries small, and numpy releases the GIL
    in the heavy operations, so ``workers`` threads work on blocks at the
    same time. ``on_chunk(count)`` is called as each block finishes (for a
    progress bar).

    :param executor: a thread pool to run the blocks on instead of one
        made for this call (then ``workers`` is not used). A caller that
        analyses batch after batch passes the same pool every time: the
        same threads then reuse the memory their earlier blocks freed,
        where new threads each take memory of their own from the
        allocator.

    :returns: ``(resource_profile, energy_profile, features)`` in the row
        order of ``series``.
    """
    rows = len(series)
    bounds = [(start, min(start + chunk_rows, rows))
              for start in range(0, rows, chunk_rows)] or [(0, 0)]

    def run(bound):
        part = analyze(series.rows(slice(*bound)), workloads, max_gap_s)
        if on_chunk is not None:
            on_chunk(bound[1] - bound[0])
        return part

    if executor is not None and len(bounds) > 1:
        parts = list(executor.map(run, bounds))
    elif workers > 1 and len(bounds) > 1:
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(run, bounds))
    else:
        parts = [run(bound) for bound in bounds]
    if len(parts) == 1:
        return parts[0]
    return tuple(pd.concat([part[i] for part in parts]) for i in range(3))
