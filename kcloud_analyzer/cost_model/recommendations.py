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
"""Priced recommendations.

Each recommendation carries ``monthly_saving`` (Decimal, currency of the
card, over :data:`~kcloud_analyzer.cost_model.ratecard.HOURS_PER_MONTH`
hours), ``confidence`` (0-1) and ``evidence``: every figure its saving was
computed from, so that anyone can redo the sum. The kinds:

``idle_accelerator``
    accelerators whose hourly utilisation stayed under
    :data:`IDLE_UTILIZATION` % (95th percentile): release or stop them.
    saving = count x price_per_hour x 730.
``fewer_gpus``
    several GPUs whose 95th percentile utilisation would fit on fewer at
    :data:`TARGET_UTILIZATION` %. saving = (count - recommended_count) x
    price_per_hour x 730.
``gpu_partition``
    one GPU that a MIG / vGPU slice of the card would carry (utilisation and
    GPU memory). saving = (price_per_hour - partition_price_per_hour) x 730.
``cheaper_accelerator``
    serving or inference on an under-used accelerator that a cheaper model
    of the card (GPU or NPU, sized by relative performance) would carry.
    saving = (count x price_per_hour - candidate_count x
    candidate_price_per_hour) x 730.
``off_peak_training``
    training whose energy could be bought at the cheapest tariff.
    saving = energy_kwh / hours_observed x 730 x pue x
    (mean_tariff_paid - off_peak_tariff).
``oversized_compute``
    vCPUs or RAM far above the 95th percentile used.
    saving = ((cpu_cores - recommended_cpu_cores) x vcpu_hour +
    (memory_gb - recommended_memory_gb) x ram_gb_hour) x 730.
``committed_use``
    a workload present nearly every hour for at least a week, with no
    accelerator sizing recommendation, when the card has committed-use
    prices. saving = (accelerator_count x
    (price_per_hour - committed_price_per_hour) + cpu_cores x (vcpu_hour -
    committed_vcpu_hour) + memory_gb x (ram_gb_hour -
    committed_ram_gb_hour)) x 730.

The accelerator sizing kinds (``idle_accelerator``, ``fewer_gpus``,
``gpu_partition``, ``cheaper_accelerator``) are alternatives: only the one
with the largest saving is given for a workload. Prices paid are read from
the cost rows (so project overrides count); candidate prices come from the
card.

Confidence is ``min(1, hours_observed / 168)`` (a week of evidence is full
weight) times a factor per kind saying how often such an action is
possible without changing the job: :data:`KIND_CONFIDENCE`.
"""

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.cost_model import realtime

IDLE_UTILIZATION = 5.0
TARGET_UTILIZATION = 70.0
CHEAPER_BELOW_UTILIZATION = 50.0
CPU_TARGET_UTILIZATION = 70.0
MEMORY_TARGET_UTILIZATION = 80.0
OVERSIZED_CPU_BELOW = 40.0
OVERSIZED_MEMORY_BELOW = 50.0
STEADY_PRESENCE = 0.95
STEADY_MIN_HOURS = 168
FULL_EVIDENCE_HOURS = 168.0
KIND_CONFIDENCE = {
    'idle_accelerator': 0.95,
    'fewer_gpus': 0.7,
    'gpu_partition': 0.7,
    'cheaper_accelerator': 0.6,
    'off_peak_training': 0.5,
    'oversized_compute': 0.8,
    'committed_use': 0.8,
}
_MONTH = ratecard.HOURS_PER_MONTH


def _p95(hourly, metric):
    if metric not in hourly:
        return pd.Series(dtype=float)
    return hourly[metric].groupby(level='workload_id').quantile(0.95)


def _mean(hourly, metric):
    if metric not in hourly:
        return pd.Series(dtype=float)
    return hourly[metric].groupby(level='workload_id').mean()


def workload_stats(workloads, usage, costs):
    """One row per priced workload with the figures recommendations read."""
    hourly = realtime.hourly_means(usage)
    per = costs.groupby('workload_id')
    stats = workloads.set_index('workload_id').loc[
        per.size().index].copy()
    stats['hours_observed'] = per.size()
    span = (per['hour'].max() - per['hour'].min()) / pd.Timedelta(hours=1)
    stats['presence'] = stats['hours_observed'] / (span + 1.0)
    acc_count = stats['gpu_count'] + stats['npu_count']
    acc_spend = per['gpu'].sum() + per['npu'].sum()
    with np.errstate(invalid='ignore', divide='ignore'):
        stats['accelerator_price'] = acc_spend / (
            acc_count * stats['hours_observed'])
    stats['accelerator_count'] = acc_count
    is_npu = stats['npu_count'] > 0
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
    stats['energy_kwh'] = per['energy_kwh'].sum()
    stats['energy_spend'] = per['energy'].sum()
    stats['project_id'] = per['project_id'].first()
    return stats


def _confidence(kind, hours):
    return round(min(1.0, hours / FULL_EVIDENCE_HOURS) *
                 KIND_CONFIDENCE[kind], 2)


def _make(kind, row, saving, action, evidence):
    return {
        'workload_id': row.name,
        'project_id': row['project_id'],
        'kind': kind,
        'action': action,
        'monthly_saving_float': float(saving),
        'confidence': _confidence(kind, float(row['hours_observed'])),
        'evidence': {k: _plain(v) for k, v in evidence.items()},
    }


def _plain(value):
    # Evidence is JSON-ready: numpy scalars become Python ones and a
    # figure that was not measured is None rather than NaN.
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _idle(stats):
    found = []
    chosen = stats[(stats['accelerator_count'] > 0) &
                   (stats['accelerator_util_p95'] < IDLE_UTILIZATION)]
    for _, row in chosen.iterrows():
        saving = row['accelerator_count'] * row['accelerator_price'] * _MONTH
        found.append(_make(
            'idle_accelerator', row, saving,
            f'release or stop the {int(row["accelerator_count"])} idle '
            f'{row["accelerator"]}',
            {'accelerator': row['accelerator'],
             'count': int(row['accelerator_count']),
             'price_per_hour': float(row['accelerator_price']),
             'utilization_mean': float(row['accelerator_util_mean']),
             'utilization_p95': float(row['accelerator_util_p95']),
             'hours_observed': int(row['hours_observed'])}))
    return found


def _fewer_gpus(stats):
    found = []
    gpus = stats['gpu_count'].astype(float)
    needed = np.maximum(1.0, np.ceil(
        gpus * stats['accelerator_util_p95'] / TARGET_UTILIZATION))
    chosen = stats[(stats['gpu_count'] >= 2) & (needed < gpus) &
                   (stats['accelerator_util_p95'] >= IDLE_UTILIZATION)]
    for ident, row in chosen.iterrows():
        recommended = int(needed[ident])
        saving = ((row['gpu_count'] - recommended) *
                  row['accelerator_price'] * _MONTH)
        found.append(_make(
            'fewer_gpus', row, saving,
            f'run on {recommended} {row["accelerator"]} instead of '
            f'{int(row["gpu_count"])}',
            {'accelerator': row['accelerator'],
             'count': int(row['gpu_count']),
             'recommended_count': recommended,
             'utilization_p95': float(row['accelerator_util_p95']),
             'target_utilization': TARGET_UTILIZATION,
             'price_per_hour': float(row['accelerator_price']),
             'hours_observed': int(row['hours_observed'])}))
    return found


def _partition(stats, card):
    found = []
    single = stats[(stats['gpu_count'] == 1) &
                   (stats['accelerator_util_p95'] >= IDLE_UTILIZATION)]
    for _, row in single.iterrows():
        model = card.accelerator(row['accelerator'])
        need = row['accelerator_util_p95'] / TARGET_UTILIZATION
        memory = row['gpu_memory_p95']
        if not np.isnan(memory):
            need = max(need, memory / 100.0)
        fitting = [p for p in model.partitions if p.fraction >= need]
        if not fitting:
            continue
        part = min(fitting, key=lambda p: p.hour)
        saving = (row['accelerator_price'] - float(part.hour)) * _MONTH
        if saving <= 0:
            continue
        found.append(_make(
            'gpu_partition', row, saving,
            f'use a {part.name} slice instead of a whole '
            f'{row["accelerator"]}',
            {'accelerator': row['accelerator'],
             'price_per_hour': float(row['accelerator_price']),
             'partition': part.name,
             'partition_fraction': part.fraction,
             'partition_price_per_hour': float(part.hour),
             'utilization_p95': float(row['accelerator_util_p95']),
             'gpu_memory_utilization_p95': (None if np.isnan(memory)
                                            else float(memory)),
             'target_utilization': TARGET_UTILIZATION,
             'hours_observed': int(row['hours_observed'])}))
    return found


def _cheaper(stats, card):
    found = []
    serving = stats[stats['type'].isin(('serving', 'inference')) &
                    (stats['accelerator_count'] > 0) &
                    (stats['accelerator_util_p95'] >= IDLE_UTILIZATION) &
                    (stats['accelerator_util_p95'] <
                     CHEAPER_BELOW_UTILIZATION)]
    for _, row in serving.iterrows():
        current = card.accelerator(row['accelerator'])
        if current.performance is None:
            continue
        count = int(row['accelerator_count'])
        capacity = (count * current.performance *
                    row['accelerator_util_p95'] / TARGET_UTILIZATION)
        spend = count * row['accelerator_price']
        best = None
        for option in card.accelerators.values():
            if option is current or option.performance is None:
                continue
            option_count = max(1, int(np.ceil(capacity /
                                              option.performance)))
            option_spend = option_count * float(option.hour)
            if best is None or option_spend < best[2]:
                best = (option, option_count, option_spend)
        if best is None or best[2] >= spend:
            continue
        option, option_count, option_spend = best
        found.append(_make(
            'cheaper_accelerator', row, (spend - option_spend) * _MONTH,
            f'serve on {option_count} {option.model} ({option.kind}) '
            f'instead of {count} {row["accelerator"]}',
            {'accelerator': row['accelerator'], 'count': count,
             'price_per_hour': float(row['accelerator_price']),
             'performance': current.performance,
             'utilization_p95': float(row['accelerator_util_p95']),
             'target_utilization': TARGET_UTILIZATION,
             'candidate': option.model,
             'candidate_kind': option.kind,
             'candidate_count': option_count,
             'candidate_price_per_hour': float(option.hour),
             'candidate_performance': option.performance,
             'hours_observed': int(row['hours_observed'])}))
    return found


def _off_peak(stats, card):
    found = []
    cheapest = card.cheapest_kwh()
    training = stats[(stats['type'] == 'training') &
                     (stats['energy_kwh'] > 0)]
    for _, row in training.iterrows():
        paid = row['energy_spend'] / (row['energy_kwh'] * card.pue)
        monthly_kwh = row['energy_kwh'] / row['hours_observed'] * _MONTH
        saving = monthly_kwh * card.pue * (paid - cheapest)
        if saving <= 0:
            continue
        found.append(_make(
            'off_peak_training', row, saving,
            'schedule this training in the cheapest tariff hours',
            {'energy_kwh': float(row['energy_kwh']),
             'hours_observed': int(row['hours_observed']),
             'pue': card.pue,
             'mean_tariff_paid': float(paid),
             'off_peak_tariff': cheapest}))
    return found


def _oversized(stats, card):
    found = []
    cores, memory = stats['cpu_cores'], stats['memory_gb']
    new_cores = np.where(
        stats['cpu_p95'] < OVERSIZED_CPU_BELOW,
        np.maximum(1.0, np.ceil(cores * stats['cpu_p95'] /
                                CPU_TARGET_UTILIZATION)), cores)
    new_memory = np.where(
        stats['memory_p95'] < OVERSIZED_MEMORY_BELOW,
        np.maximum(1.0, np.ceil(memory * stats['memory_p95'] /
                                MEMORY_TARGET_UTILIZATION)), memory)
    new_cores = pd.Series(np.minimum(new_cores, cores), index=stats.index)
    new_memory = pd.Series(np.minimum(new_memory, memory),
                           index=stats.index)
    chosen = stats[(new_cores < cores) | (new_memory < memory)]
    vcpu, ram = float(card.vcpu_hour), float(card.ram_gb_hour)
    for ident, row in chosen.iterrows():
        saving = ((row['cpu_cores'] - new_cores[ident]) * vcpu +
                  (row['memory_gb'] - new_memory[ident]) * ram) * _MONTH
        found.append(_make(
            'oversized_compute', row, saving,
            f'resize to {new_cores[ident]:g} vCPU and '
            f'{new_memory[ident]:g} GB RAM',
            {'cpu_cores': float(row['cpu_cores']),
             'recommended_cpu_cores': float(new_cores[ident]),
             'cpu_utilization_p95': float(row['cpu_p95']),
             'memory_gb': float(row['memory_gb']),
             'recommended_memory_gb': float(new_memory[ident]),
             'memory_utilization_p95': float(row['memory_p95']),
             'vcpu_hour': vcpu, 'ram_gb_hour': ram,
             'hours_observed': int(row['hours_observed'])}))
    return found


def _committed(stats, card):
    found = []
    steady = stats[(stats['presence'] >= STEADY_PRESENCE) &
                   (stats['hours_observed'] >= STEADY_MIN_HOURS)]
    for _, row in steady.iterrows():
        model = card.accelerator(row['accelerator'])
        count = int(row['accelerator_count'])
        if count and (model is None or model.committed_hour is None):
            continue
        if card.committed_vcpu_hour is None or (
                card.committed_ram_gb_hour is None):
            continue
        evidence = {
            'accelerator_count': count,
            'price_per_hour': (float(row['accelerator_price']) if count
                               else 0.0),
            'committed_price_per_hour': (float(model.committed_hour)
                                         if count else 0.0),
            'cpu_cores': float(row['cpu_cores']),
            'vcpu_hour': float(card.vcpu_hour),
            'committed_vcpu_hour': float(card.committed_vcpu_hour),
            'memory_gb': float(row['memory_gb']),
            'ram_gb_hour': float(card.ram_gb_hour),
            'committed_ram_gb_hour': float(card.committed_ram_gb_hour),
            'presence': round(float(row['presence']), 4),
            'hours_observed': int(row['hours_observed']),
        }
        saving = committed_saving(evidence)
        if saving <= 0:
            continue
        found.append(_make('committed_use', row, saving,
                           'buy committed-use capacity for this steady '
                           'workload', evidence))
    return found


def committed_saving(evidence):
    return (evidence['accelerator_count'] *
            (evidence['price_per_hour'] -
             evidence['committed_price_per_hour']) +
            evidence['cpu_cores'] * (evidence['vcpu_hour'] -
                                     evidence['committed_vcpu_hour']) +
            evidence['memory_gb'] * (evidence['ram_gb_hour'] -
                                     evidence['committed_ram_gb_hour'])
            ) * _MONTH


def recommend(workloads, usage, costs, card):
    """Recommendations for every priced workload, largest saving first.

    :param costs: the frame of :func:`realtime.compute_costs` for the same
        workloads and usage.
    :returns: list of dicts ``workload_id, project_id, kind, action,
        monthly_saving (Decimal), currency, confidence, evidence``.
    """
    if costs.empty:
        return []
    stats = workload_stats(workloads, usage, costs)
    sizing = (_idle(stats) + _fewer_gpus(stats) + _partition(stats, card) +
              _cheaper(stats, card))
    best_sizing = {}
    for item in sizing:
        kept = best_sizing.get(item['workload_id'])
        if kept is None or (item['monthly_saving_float'] >
                            kept['monthly_saving_float']):
            best_sizing[item['workload_id']] = item
    # Committing to capacity is only advised for workloads whose
    # accelerators are already the right ones.
    right_sized = stats.loc[~stats.index.isin(list(best_sizing))]
    found = (list(best_sizing.values()) + _off_peak(stats, card) +
             _oversized(stats, card) + _committed(right_sized, card))
    found = [f for f in found if f['monthly_saving_float'] > 0]
    found.sort(key=lambda f: (-f['monthly_saving_float'], f['workload_id'],
                              f['kind']))
    for item in found:
        item['monthly_saving'] = ratecard.to_money(
            item.pop('monthly_saving_float'))
        item['currency'] = card.currency
    return found
