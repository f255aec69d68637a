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
"""Evidence and confidence of the recommendations.

Confidence is the probability that the saving holds next month, estimated
from the variance of the evidence. The observed hours are cut into blocks
(a day each when at least three days were observed, otherwise a quarter of
the observed hours, at least one hour);
for each block the *margin* of the advice is computed: how far the block
stayed inside what the recommended set-up carries (for the sizing kinds
and resizes: capacity of the new set-up minus the block's 95th percentile
utilisation, in percent of the current one), or the saving the block would
have made (off-peak), or its presence above the break-even presence
(committed use). Taking the block margins as a sample, the margin of one
more block follows a Student t predictive distribution with n - 1 degrees
of freedom, centre the mean margin and scale s x sqrt(1 + 1/n) (s: the
standard deviation of the margins, never below :data:`MARGIN_RESOLUTION`);
the confidence is its probability of being positive. Fewer than
:data:`MIN_BLOCKS` blocks give confidence 0: a saving is not promised from
one observation.
"""

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from kcloud_analyzer.common import metrics
from kcloud_analyzer.cost_model import realtime

#: a workload's class must be known at least this surely before its
#: accelerators are moved to another model or its training re-planned
CLASS_CONFIDENCE = 0.8
#: fewer evidence blocks than this give confidence 0
MIN_BLOCKS = 2
#: blocks are days from this many observed hours on; shorter evidence is
#: cut into this many blocks (of at least an hour)
DAY_BLOCKS_FROM_HOURS = 72
SHORT_EVIDENCE_BLOCKS = 4
#: the smallest spread of the block margins the confidence assumes, per
#: unit of margin: a percentage point of utilisation, a hundredth of
#: presence, a tenth of the mean saving
MARGIN_RESOLUTION = {'percent': 1.0, 'presence': 0.01, 'saving': 0.1}


def holds_probability(margins, resolution):
    """Probability that the margin of one more block is positive.

    :param margins: the margins of the observed blocks.
    :param resolution: the smallest standard deviation assumed.
    """
    margins = np.asarray(margins, dtype=float)
    margins = margins[np.isfinite(margins)]
    n = margins.size
    if n < MIN_BLOCKS:
        return 0.0
    spread = max(float(margins.std(ddof=1)), resolution)
    scale = spread * np.sqrt(1.0 + 1.0 / n)
    return float(scipy_stats.t.cdf(margins.mean() / scale, df=n - 1))


def _p95(hourly, metric):
    if metric not in hourly:
        return pd.Series(dtype=float)
    return hourly[metric].groupby(level='workload_id').quantile(0.95)


def _mean(hourly, metric):
    if metric not in hourly:
        return pd.Series(dtype=float)
    return hourly[metric].groupby(level='workload_id').mean()


def _block_hours(hours_observed):
    if hours_observed >= DAY_BLOCKS_FROM_HOURS:
        return 24
    return max(1, int(hours_observed) // SHORT_EVIDENCE_BLOCKS)


def _block_of(workload_ids, hours, first_hour, block_hours):
    """The evidence block of each (workload, hour)."""
    start = first_hour.reindex(workload_ids).reset_index(drop=True)
    elapsed = (pd.Series(hours) - start) / pd.Timedelta(hours=1)
    size = block_hours.reindex(workload_ids).to_numpy(dtype=float)
    return np.floor_divide(elapsed.to_numpy(dtype=float), size)


class Evidence:
    """Per-block figures of every workload, for the confidences."""

    def __init__(self, hourly, costs, stats):
        self.stats = stats
        first = costs.groupby('workload_id')['hour'].min()
        self.block_hours = stats['hours_observed'].map(_block_hours)
        ids = hourly.index.get_level_values('workload_id')
        hours = hourly.index.get_level_values('hour')
        known = ids.isin(stats.index)
        self.hourly = hourly.loc[known]
        self.hourly_block = _block_of(ids[known], hours[known], first,
                                      self.block_hours)
        self.costs = costs
        self.cost_block = _block_of(pd.Index(costs['workload_id']),
                                    pd.DatetimeIndex(costs['hour']), first,
                                    self.block_hours)

    def block_p95(self, workload_id, metric):
        """95th percentile of the hourly means of each block."""
        if metric not in self.hourly:
            return np.array([])
        mine = (self.hourly.index.get_level_values('workload_id') ==
                workload_id)
        values = pd.Series(self.hourly[metric].to_numpy()[mine])
        blocks = self.hourly_block[mine]
        return values.groupby(blocks).quantile(0.95).to_numpy()

    def block_sums(self, workload_id, column):
        mine = (self.costs['workload_id'] == workload_id).to_numpy()
        values = pd.Series(self.costs[column].to_numpy(dtype=float)[mine])
        return values.groupby(self.cost_block[mine]).sum()

    def block_presence(self, workload_id):
        """Share of each block's hours the workload was priced in."""
        mine = (self.costs['workload_id'] == workload_id).to_numpy()
        blocks = pd.Series(self.cost_block[mine])
        present = blocks.value_counts().sort_index()
        size = float(self.block_hours[workload_id])
        row = self.stats.loc[workload_id]
        span = row['span_hours']
        # the last block may be cut short by the end of the evidence
        lengths = np.minimum(size, span - present.index.to_numpy() * size)
        return present.to_numpy() / lengths

    def utilisation_confidence(self, workload_id, metric, capacity):
        """Confidence that ``metric`` stays under ``capacity`` percent."""
        margins = capacity - self.block_p95(workload_id, metric)
        return holds_probability(margins, MARGIN_RESOLUTION['percent'])

    def saving_confidence(self, workload_id, saving_per_block):
        saving = np.asarray(saving_per_block, dtype=float)
        resolution = MARGIN_RESOLUTION['saving'] * abs(
            float(np.nanmean(saving))) if saving.size else 0.0
        return holds_probability(saving, max(resolution, 1e-12))

    def blocks(self, workload_id):
        return {'evidence_blocks': int(len(np.unique(
                    self.cost_block[(self.costs['workload_id'] ==
                                     workload_id).to_numpy()]))),
                'block_hours': int(self.block_hours[workload_id])}


def workload_stats(workloads, usage, costs):
    """One row per priced workload with the figures recommendations read."""
    hourly = realtime.hourly_means(usage)
    per = costs.groupby('workload_id')
    stats = workloads.set_index('workload_id').loc[
        per.size().index].copy()
    if 'type_confidence' not in stats:
        stats['type_confidence'] = 1.0
    stats['hours_observed'] = per.size()
    span = (per['hour'].max() - per['hour'].min()) / pd.Timedelta(hours=1)
    stats['span_hours'] = span + 1.0
    stats['presence'] = stats['hours_observed'] / (span + 1.0)
    acc_count = stats['gpu_count'] + stats['npu_count']
    acc_spend = per['gpu'].sum() + per['npu'].sum()
    with np.errstate(invalid='ignore', divide='ignore'):
        stats['accelerator_price'] = acc_spend / (
            acc_count * stats['hours_observed'])
    stats['accelerator_count'] = acc_count
    is_npu = stats['npu_count'] > 0
    stats['accelerator_metric'] = np.where(
        is_npu, metrics.NPU_UTILIZATION, metrics.GPU_UTILIZATION)
    stats['accelerator_util_mean'] = _mean(
        hourly, metrics.GPU_UTILIZATION).reindex(stats.index).where(
            ~is_npu, _mean(hourly, metrics.NPU_UTILIZATION).reindex(
                stats.index))
    stats['accelerator_util_p95'] = _p95(
        hourly, metrics.GPU_UTILIZATION).reindex(stats.index).where(
            ~is_npu, _p95(hourly, metrics.NPU_UTILIZATION).reindex(
                stats.index))
    stats['gpu_memory_p95'] = _p95(
        hourly, metrics.GPU_MEMORY_UTILIZATION).reindex(stats.index)
    stats['cpu_p95'] = _p95(hourly, metrics.CPU_UTILIZATION).reindex(
        stats.index)
    stats['memory_p95'] = _p95(hourly, metrics.MEMORY_UTILIZATION).reindex(
        stats.index)
    stats['host_power_mean'] = _mean(hourly, metrics.POWER_WATTS).reindex(
        stats.index)
    stats['accelerator_power_mean'] = _mean(
        hourly, metrics.ACCELERATOR_POWER_WATTS).reindex(stats.index)
    stats['energy_kwh'] = per['energy_kwh'].sum()
    stats['energy_spend'] = per['energy'].sum()
    stats['project_id'] = per['project_id'].first()
    return stats, Evidence(hourly, costs, stats)


def class_known(row, *classes):
    """True when the workload's class is one of ``classes`` and was
    declared or classified with at least :data:`CLASS_CONFIDENCE`."""
    confidence = row.get('type_confidence', 1.0)
    if confidence is None or pd.isna(confidence):
        confidence = 1.0
    return row['type'] in classes and float(confidence) >= CLASS_CONFIDENCE
