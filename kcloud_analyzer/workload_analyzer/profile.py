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
"""Resource profile of workloads over a window.

For every utilisation metric: mean, p50, p95, max, standard deviation and
idle share (share of samples below 5 %); allocated against used
accelerators, cores and memory; burstiness, dominant period and diurnal
strength of the workload's main utilisation; network and disk rates.

A metric that a workload did not report has a ``count`` of 0 and NaN in
every other figure: it is missing, not zero.
"""

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics
from kcloud_analyzer.workload_analyzer import stats

#: Utilisation below this percentage counts as idle.
IDLE_THRESHOLD_PERCENT = 5.0

RATE_METRICS = (
    metrics.NETWORK_RX_BYTES_PER_S, metrics.NETWORK_TX_BYTES_PER_S,
    metrics.DISK_READ_BYTES_PER_S, metrics.DISK_WRITE_BYTES_PER_S,
)

#: The metric whose shape (burstiness, period, daily cycle) stands for the
#: workload, in order of preference: the accelerator is what an AI
#: workload is about, the CPU only when it has none, and power (which
#: follows the load) when no utilisation was reported at all.
PRIMARY_METRICS = (metrics.GPU_UTILIZATION, metrics.NPU_UTILIZATION,
                   metrics.CPU_UTILIZATION, metrics.ACCELERATOR_POWER_WATTS,
                   metrics.POWER_WATTS)

UTILIZATION_FIGURES = ('count', 'mean', 'p50', 'p95', 'max', 'std',
                       'idle_share')
RATE_FIGURES = ('count', 'mean', 'p95', 'max')

_ALLOCATION_COLUMNS = ('cpu_cores', 'memory_gb', 'gpu_count', 'npu_count')


def column(metric, figure):
    """Name of a profile column, e.g. ``gpu_utilization.p95``."""
    return f'{metric}.{figure}'


def block_figures(values, idle_threshold=None, n=None, sums=None,
                  keep_deviation=False):
    """Count, mean, p50, p95, max, std (and idle share) of each row.

    :param sums: the rows' sums (:func:`~kcloud_analyzer.
        workload_analyzer.stats.row_sums`) when already made.
    :param keep_deviation: also return the rows minus their means
        (``deviation``) and their sums of squares (``squares``), for the
        shape figures of the main metric to reuse.
    """
    if n is None:
        n = stats.counts(values, sums)
    row_mean = stats.mean(values, n, sums)
    (p50, p95), largest = stats.quantiles(values, [0.5, 0.95], n,
                                          with_maximum=True)
    deviation = stats.centred(values, row_mean, n)
    squares = stats.squares(values, deviation=deviation)
    figures = {
        'count': n,
        'mean': row_mean,
        'p50': p50,
        'p95': p95,
        'max': largest,
        'std': stats.std_from_squares(squares, n),
    }
    if keep_deviation:
        figures['deviation'] = deviation
        figures['squares'] = squares
    del deviation
    if idle_threshold is not None:
        figures['idle_share'] = stats.share_below(values, idle_threshold, n)
    return figures


def _allocations(workloads, workload_ids):
    """The allocation columns of the rows ``workload_ids``, float arrays
    (NaN for a workload not in ``workloads``)."""
    rows = len(workload_ids)
    if workloads is None:
        return {name: np.full(rows, np.nan) for name in _ALLOCATION_COLUMNS}
    # Positions rather than a reindexed copy of the whole frame: a chunk
    # of a large fleet takes its few rows only.
    known = pd.Index(workloads['workload_id'])
    if not known.is_unique:
        raise ValueError('workloads has duplicated workload ids')
    position = known.get_indexer(pd.Index(workload_ids))
    found = position >= 0
    position = np.where(found, position, 0)
    columns = {}
    for name in _ALLOCATION_COLUMNS:
        values = workloads[name].astype(float).to_numpy()
        columns[name] = (np.where(found, values[position], np.nan)
                         if len(values) else np.full(rows, np.nan))
    return columns


def _primary_choice(series, computed):
    """Index into PRIMARY_METRICS of each workload's main metric (-1: none)."""
    choice = np.full(len(series), -1)
    for position in reversed(range(len(PRIMARY_METRICS))):
        metric = PRIMARY_METRICS[position]
        count = computed.get(column(metric, 'count'))
        if count is None and series.block(metric) is not None:
            count = series.block(metric).counts
        if count is not None:
            choice = np.where(count > 0, position, choice)
    return choice


def _shape_of_primary(series, computed, choice, deviations=None):
    """Burstiness, dominant period and daily cycle of the main metric.

    :param deviations: ``{metric: (deviation, squares)}`` of whole blocks
        already centred (see :func:`block_figures`).
    """
    deviations = deviations or {}
    rows = len(series)
    shape = {name: np.full(rows, np.nan) for name in (
        'burstiness', 'peak_to_mean', 'dominant_period_s',
        'periodicity_strength', 'diurnal_strength')}
    for position, metric in enumerate(PRIMARY_METRICS):
        selected = np.flatnonzero(choice == position)
        if selected.size == 0:
            continue
        block = series.block(metric)
        if selected.size == rows:
            block_rows = block
        else:
            block_rows = block.rows(selected)
        if column(metric, 'count') in computed:
            figures = {figure: computed[column(metric, figure)][selected]
                       for figure in ('count', 'mean', 'std', 'p95')}
        else:
            figures = block_figures(block_rows.values, n=block_rows.counts)
        n, row_mean = figures['count'], figures['mean']
        row_std, p95 = figures['std'], figures['p95']
        with np.errstate(invalid='ignore', divide='ignore'):
            # Goh and Barabasi's burstiness: -1 regular, 0 Poisson-like,
            # towards 1 for rare large bursts.
            shape['burstiness'][selected] = (
                (row_std - row_mean) / (row_std + row_mean))
            shape['peak_to_mean'][selected] = np.where(
                row_mean > 0, p95 / row_mean, np.nan)
        deviation = squares = None
        if metric in deviations:
            deviation, squares = deviations.pop(metric)
            if selected.size < rows:
                deviation, squares = deviation[selected], squares[selected]
        step = stats.median_interval(block_rows.times)
        period, strength = stats.periodicity(block_rows.values, step, n,
                                             row_mean, deviation=deviation)
        shape['dominant_period_s'][selected] = period
        shape['periodicity_strength'][selected] = strength
        shape['diurnal_strength'][selected] = stats.diurnal_strength(
            block_rows.times, block_rows.values, n=n, row_mean=row_mean,
            deviation=deviation, total=squares)
        del deviation, squares
    return shape


def resource_profile(series, workloads=None):
    """Compute the resource profile of every workload in ``series``.

    The frame of :func:`resource_columns`, indexed by workload_id.

    :param series: a :class:`~kcloud_analyzer.workload_analyzer.series.
        SeriesSet`.
    :param workloads: optional DataFrame in the shape of
        :func:`kcloud_analyzer.common.offline.load_workloads` giving the
        allocations; without it the allocated/used figures are NaN.
    :returns: a DataFrame indexed by workload_id. Columns:
        ``<metric>.<figure>`` for every utilisation metric
        (:data:`UTILIZATION_FIGURES`) and rate metric
        (:data:`RATE_FIGURES`); ``gpus_allocated``, ``gpus_used``,
        ``npus_allocated``, ``npus_used``, ``cpu_cores_allocated``,
        ``cpu_cores_used``, ``memory_gb_allocated``, ``memory_gb_used``;
        ``primary_metric`` (the metric the shape figures describe, NA
        when none of GPU, NPU or CPU was reported), ``burstiness``,
        ``peak_to_mean``, ``dominant_period_s``, ``periodicity_strength``,
        ``diurnal_strength``; ``observed_hours`` and
        ``sampling_interval_s``.
    """
    return pd.DataFrame(resource_columns(series, workloads),
                        index=pd.Index(series.workload_ids,
                                       name='workload_id'))


def resource_columns(series, workloads=None):
    """The columns of :func:`resource_profile` as a dict of arrays in the
    row order of ``series`` (no frame to build for a caller that reads a
    few of them)."""
    rows = len(series)
    computed = {}
    # The main metric is known from the counts alone: its rows, once
    # centred for the standard deviation, are kept for its shape figures.
    choice = _primary_choice(series, computed)
    primary = {PRIMARY_METRICS[position] for position in np.unique(choice)
               if position >= 0}
    deviations = {}
    for metric in metrics.UTILIZATION_METRICS:
        block = series.block(metric)
        if block is None:
            figures = {f: np.full(rows, np.nan) for f in UTILIZATION_FIGURES}
            figures['count'] = np.zeros(rows, dtype=np.int64)
        else:
            figures = block_figures(block.values, IDLE_THRESHOLD_PERCENT,
                                    block.counts, block.sums,
                                    keep_deviation=metric in primary)
            if metric in primary:
                deviations[metric] = (figures.pop('deviation'),
                                      figures.pop('squares'))
        for figure in UTILIZATION_FIGURES:
            computed[column(metric, figure)] = figures[figure]
    for metric in RATE_METRICS:
        block = series.block(metric)
        if block is None:
            figures = {f: np.full(rows, np.nan) for f in RATE_FIGURES}
            figures['count'] = np.zeros(rows, dtype=np.int64)
        else:
            figures = block_figures(block.values, n=block.counts,
                                    sums=block.sums)
        for figure in RATE_FIGURES:
            computed[column(metric, figure)] = figures[figure]

    allocation = _allocations(workloads, series.workload_ids)
    used_pairs = (
        ('gpus', 'gpu_count', metrics.GPU_UTILIZATION),
        ('npus', 'npu_count', metrics.NPU_UTILIZATION),
        ('cpu_cores', 'cpu_cores', metrics.CPU_UTILIZATION),
        ('memory_gb', 'memory_gb', metrics.MEMORY_UTILIZATION),
    )
    for name, allocation_column, metric in used_pairs:
        allocated = allocation[allocation_column]
        computed[f'{name}_allocated'] = allocated
        computed[f'{name}_used'] = (
            allocated * computed[column(metric, 'mean')] / 100.0)

    computed['primary_metric'] = np.where(
        choice >= 0, np.asarray(PRIMARY_METRICS, dtype=object)[choice], None)
    computed.update(_shape_of_primary(series, computed, choice, deviations))

    first, last, step = _time_extent(series)
    computed['observed_hours'] = (last - first) / 3600.0
    computed['sampling_interval_s'] = step
    return computed


def _time_extent(series):
    """First and last sample and the typical interval over all metrics."""
    rows = len(series)
    first = np.full(rows, np.nan)
    last = np.full(rows, np.nan)
    step = np.full(rows, np.nan)
    for block in series.blocks.values():
        if block.values.shape[1] == 0:
            continue
        reported = block.counts > 0
        if block.times.ndim == 1 and (block.counts == block.values.shape[1]
                                      ).all():
            block_first = np.full(rows, block.times[0])
            block_last = np.full(rows, block.times[-1])
        elif block.times.ndim == 1:
            # A shared time axis: a row starts at its first measured value
            # and ends at its last one.
            measured = ~np.isnan(block.values)
            width = measured.shape[1]
            first_index = np.argmax(measured, axis=1)
            last_index = width - 1 - np.argmax(measured[:, ::-1], axis=1)
            block_first = np.where(reported, block.times[first_index],
                                   np.nan)
            block_last = np.where(reported, block.times[last_index], np.nan)
        else:
            block_first = np.fmin.reduce(block.times, axis=1)
            block_last = np.fmax.reduce(block.times, axis=1)
        first = np.fmin(first, block_first)
        last = np.fmax(last, block_last)
        step = np.fmin(step, np.where(
            reported, stats.median_interval(block.times), np.nan))
    return first, last, step
