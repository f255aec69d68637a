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
"""Dense, padded 2-D blocks of telemetry: one row per workload.

Everything in the workload analyzer works on whole blocks at once (numpy
over a ``workloads x samples`` array), never on one workload at a time.
Rows shorter than the longest one are padded with NaN at the end; a NaN
value inside a row is a sample that was not measured.
"""

import dataclasses
import functools

import numpy as np
import pandas as pd

from kcloud_analyzer.workload_analyzer import stats


@dataclasses.dataclass(frozen=True)
class MetricBlock:
    """Samples of one metric for many workloads.

    ``times`` holds seconds since the epoch, either ``(n, m)`` (padded with
    NaN like ``values``) or ``(m,)`` when every workload was sampled at the
    same instants. ``values`` is ``(n, m)``, NaN where there is no sample.
    Samples in a row are in time order.
    """

    times: np.ndarray
    values: np.ndarray

    @functools.cached_property
    def sums(self):
        """float64 sum of each row, NaN for a row with a missing sample
        (the counts and the means come from the same pass)."""
        return stats.row_sums(self.values)

    @functools.cached_property
    def counts(self):
        """Samples in each row (computed once: several figures need it)."""
        return stats.counts(self.values, self.sums)

    def rows(self, index):
        """The block restricted to the workloads at ``index``."""
        times = self.times[index] if self.times.ndim == 2 else self.times
        return MetricBlock(times=times, values=self.values[index])


@dataclasses.dataclass(frozen=True)
class SeriesSet:
    """The telemetry of a set of workloads, one :class:`MetricBlock` each
    metric that at least one of them reported."""

    workload_ids: np.ndarray
    blocks: dict

    def __len__(self):
        return len(self.workload_ids)

    def block(self, metric):
        """The block of ``metric`` or None when no workload reported it."""
        return self.blocks.get(metric)

    def rows(self, index):
        return SeriesSet(
            workload_ids=self.workload_ids[index],
            blocks={m: b.rows(index) for m, b in self.blocks.items()})


#: Samples closer than this are averaged before any figure is computed
#: (:func:`coarsen`): a 100 ms nvidia-smi log swings between 0 and 100 %
#: within one training step, which says how it was sampled, not what runs.
FEATURE_STEP_S = 10.0


def coarsen(usage, step_s=FEATURE_STEP_S):
    """Average long-form usage into windows of ``step_s`` seconds.

    Windows start at multiples of ``step_s`` since the epoch, like the
    rollups; usage sampled at ``step_s`` or slower keeps its samples (at
    most one falls in each window).
    """
    if usage.empty:
        return usage
    window = usage['timestamp'].dt.floor(f'{int(step_s * 1000)}ms')
    grouped = usage.assign(timestamp=window).groupby(
        ['workload_id', 'metric', 'timestamp'], sort=False)['value'].mean()
    return grouped.reset_index()[['workload_id', 'timestamp', 'metric',
                                  'value']]


def from_usage(usage, workload_ids=None):
    """Build a :class:`SeriesSet` from long-form usage.

    :param usage: DataFrame with ``workload_id``, ``timestamp`` (datetime64
        UTC), ``metric`` and ``value`` columns, as returned by
        :func:`kcloud_analyzer.common.offline.load_usage`.
    :param workload_ids: the row order wanted; workloads without usage get
        all-NaN rows. Defaults to the workloads seen in ``usage``, sorted.
    """
    if workload_ids is None:
        workload_ids = np.sort(usage['workload_id'].unique().astype(str))
    workload_ids = np.asarray(workload_ids, dtype=object)
    n = len(workload_ids)
    row_of = pd.Index(workload_ids)
    seconds = (usage['timestamp'].astype('datetime64[ns, UTC]')
               .astype('int64').to_numpy() / 1e9)
    frame = pd.DataFrame({
        'row': row_of.get_indexer(usage['workload_id'].astype(object)),
        'metric': usage['metric'].to_numpy(),
        'time': seconds,
        'value': usage['value'].to_numpy(dtype=float),
    })
    frame = frame[frame['row'] >= 0]
    # A duplicated (workload, metric, time) sample is a redelivery: the
    # last value read wins, as in the rollups.
    frame = frame.drop_duplicates(['row', 'metric', 'time'], keep='last')
    frame = frame.sort_values(['metric', 'row', 'time'], kind='stable')
    blocks = {}
    for metric, group in frame.groupby('metric', sort=False):
        rows = group['row'].to_numpy()
        columns = group.groupby('row', sort=False).cumcount().to_numpy()
        width = int(columns.max()) + 1
        times = np.full((n, width), np.nan)
        values = np.full((n, width), np.nan)
        times[rows, columns] = group['time'].to_numpy()
        values[rows, columns] = group['value'].to_numpy()
        blocks[metric] = MetricBlock(times=times, values=values)
    return SeriesSet(workload_ids=workload_ids, blocks=blocks)


def rollup(series, window_s):
    """Average ``series`` into windows of ``window_s`` seconds.

    What the agent classifies are its stored rollups, one mean per metric
    and window (``[DEFAULT] rollup_window``), not the raw samples; the
    training series are averaged the same way so that the classifier sees
    both resolutions. Windows start at multiples of ``window_s`` since the
    epoch, like the rollups; a window without a sample is NaN.

    :param series: a :class:`SeriesSet` whose blocks share one time axis
        (``times`` of shape ``(m,)``, as the synthetic generator makes).
    """
    blocks = {}
    for metric, block in series.blocks.items():
        if block.times.ndim != 1:
            raise ValueError('rollup needs blocks sharing one time axis')
        if block.times.size == 0:
            blocks[metric] = block
            continue
        windows = np.floor(block.times / window_s)
        starts = np.flatnonzero(np.r_[True, np.diff(windows) != 0])
        measured = ~np.isnan(block.values)
        sums = np.add.reduceat(np.where(measured, block.values, 0.0),
                               starts, axis=1)
        counts = np.add.reduceat(measured, starts, axis=1)
        with np.errstate(invalid='ignore', divide='ignore'):
            means = np.where(counts > 0, sums / counts, np.nan)
        blocks[metric] = MetricBlock(times=windows[starts] * window_s,
                                     values=means.astype(block.values.dtype))
    return SeriesSet(workload_ids=series.workload_ids, blocks=blocks)
