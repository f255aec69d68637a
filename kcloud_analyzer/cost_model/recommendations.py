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
hours), ``confidence`` (0-1), ``expected_monthly_saving`` (the saving
times the confidence, what the list is ranked by) and ``evidence``: every
figure its saving was computed from, so that anyone can redo the sum. The
kinds:

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
    of the card (GPU or NPU, sized by relative performance) would carry;
    only for a workload whose class was declared or classified with a
    confidence of at least :data:`.evidence.CLASS_CONFIDENCE` (never
    ``unknown``).
    saving = (count x price_per_hour - candidate_count x
    candidate_price_per_hour) x 730.
``off_peak_training``
    training whose energy could be bought at the cheapest tariff.
    saving = energy_kwh / hours_observed x 730 x pue x
    (mean_tariff_paid - off_peak_tariff).
``oversized_compute``
    vCPUs or RAM far above the 95th percentile used: resize to the
    cheapest Nova flavor (listed in the rate card or learned from Nova's
    notifications) with the same accelerators and at least the vCPUs and
    RAM that the 95th percentile needs at :data:`CPU_TARGET_UTILIZATION`
    and :data:`MEMORY_TARGET_UTILIZATION` %. No flavor that fits and costs
    less, no advice. saving = (price_per_hour - flavor_price_per_hour) x
    730, the price of a flavor being its own price in the card or its
    vCPUs, RAM and accelerators at the card's unit prices.
``power_cap``
    training on GPUs (class known with
    :data:`.evidence.CLASS_CONFIDENCE`): the GPU power limit that saves
    the most energy for the same work with a median slowdown of at most
    :data:`power_cap.MAX_SLOWDOWN`, from measured power-cap curves
    (:mod:`~kcloud_analyzer.cost_model.power_cap`).
    saving = energy_spend / hours_observed x 730 x (1 -
    (accelerator_energy_share x energy_ratio + (1 -
    accelerator_energy_share) x slowdown)).
``committed_use``
    a workload present nearly every hour for at least a week, with no
    accelerator sizing recommendation, when the card has committed-use
    prices. saving = (accelerator_count x
    (price_per_hour - committed_price_per_hour) + cpu_cores x (vcpu_hour -
    committed_vcpu_hour) + memory_gb x (ram_gb_hour -
    committed_ram_gb_hour)) x 730.

Each also carries ``monthly_kwh``, the energy it promises to save a month
(kWh at the servers, on the basis of the cost records' ``energy_kwh``, before
PUE), so that the realised figure of an applied recommendation
(:mod:`kcloud_analyzer.jobs.efficacy`) can be read against it; ``None``
where the change's energy is not known:

======================= =================================================
kind                    monthly_kwh
======================= =================================================
``idle_accelerator``    energy_kwh / hours_observed x 730 x
                        accelerator_energy_share (what the released
                        accelerators drew)
``fewer_gpus``          (count - recommended_count) x idle_w x 730 / 1000
                        (the same work on fewer GPUs: the idle power of
                        those released goes)
``gpu_partition``       None (a slice shares a powered GPU with others)
``cheaper_accelerator`` (count x watts(model, mean utilisation) -
                        candidate_count x watts(candidate, the same work's
                        utilisation)) x 730 / 1000, both from the packaged
                        power curves; None if either has no curve
``off_peak_training``   0 (the same energy at other hours)
``oversized_compute``   None (vCPU and RAM power are not metered per
                        instance)
``committed_use``       0 (a price, not a change of load)
``power_cap``           energy_kwh / hours_observed x 730 x (1 - relative
                        energy of the same work at the limit)
======================= =================================================

``idle_w`` and ``watts(model, u) = idle_w + (busy_w - idle_w) x u / 100``
are the packaged curves of :mod:`kcloud_analyzer.common.power_curves`.

The accelerator sizing kinds (``idle_accelerator``, ``fewer_gpus``,
``gpu_partition``, ``cheaper_accelerator``) are alternatives: only the one
with the largest expected saving is given for a workload. Prices paid are
read from the cost rows (so project overrides count); candidate prices come
from the card.

Confidence is the probability that the saving holds next month, from
the variance of the evidence cut into blocks; how is said in
:mod:`~kcloud_analyzer.cost_model.evidence`. A resize that needs both CPU
and memory to fit multiplies the two probabilities.
"""

import numpy as np

from kcloud_analyzer.common import metrics
from kcloud_analyzer.common import power_curves
from kcloud_analyzer.common import utils
from kcloud_analyzer.cost_model import evidence as evidence_lib
from kcloud_analyzer.cost_model import flavors as flavors_lib
from kcloud_analyzer.cost_model import power_cap
from kcloud_analyzer.cost_model import ratecard

IDLE_UTILIZATION = 5.0
TARGET_UTILIZATION = 70.0
CHEAPER_BELOW_UTILIZATION = 50.0
CPU_TARGET_UTILIZATION = 70.0
MEMORY_TARGET_UTILIZATION = 80.0
OVERSIZED_CPU_BELOW = 40.0
OVERSIZED_MEMORY_BELOW = 50.0
STEADY_PRESENCE = 0.95
STEADY_MIN_HOURS = 168
KINDS = ('idle_accelerator', 'fewer_gpus', 'gpu_partition',
         'cheaper_accelerator', 'off_peak_training', 'oversized_compute',
         'committed_use', 'power_cap')
_MONTH = ratecard.HOURS_PER_MONTH


def _make(kind, row, saving, action, evidence, confidence, blocks,
          monthly_kwh=None):
    return {
        'workload_id': row.name,
        'project_id': row['project_id'],
        'kind': kind,
        'action': action,
        'monthly_saving_float': float(saving),
        'monthly_kwh': (None if monthly_kwh is None
                        else round(float(monthly_kwh), 3)),
        'confidence': round(float(confidence), 4),
        'evidence': utils.json_ready(dict(evidence, **blocks)),
    }


def _monthly_kwh(row):
    """The workload's billed kWh per month at the rate observed."""
    return row['energy_kwh'] / row['hours_observed'] * _MONTH


def _devices_kwh(model, count, utilization):
    """kWh a month of ``count`` devices of ``model`` at ``utilization``
    %, from the packaged power curve; None without a curve."""
    if np.isnan(utilization):
        return None
    device = power_curves.watts(model, utilization)
    if device is None:
        return None
    return count * device * _MONTH / 1000.0


def _idle(stats, card, evidence):
    found = []
    chosen = stats[(stats['accelerator_count'] > 0) &
                   (stats['accelerator_util_p95'] < IDLE_UTILIZATION)]
    for ident, row in chosen.iterrows():
        saving = row['accelerator_count'] * row['accelerator_price'] * _MONTH
        confidence = evidence.utilisation_confidence(
            ident, row['accelerator_metric'], IDLE_UTILIZATION)
        share = power_cap.accelerator_energy_share(row, card)
        kwh = None if share is None else _monthly_kwh(row) * share
        found.append(_make(
            'idle_accelerator', row, saving,
            f'release or stop the {int(row["accelerator_count"])} idle '
            f'{row["accelerator"]}',
            {'accelerator': row['accelerator'],
             'count': int(row['accelerator_count']),
             'price_per_hour': float(row['accelerator_price']),
             'utilization_mean': float(row['accelerator_util_mean']),
             'utilization_p95': float(row['accelerator_util_p95']),
             'hours_observed': int(row['hours_observed'])},
            confidence, evidence.blocks(ident), kwh))
    return found


def _fewer_gpus(stats, evidence):
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
        # the fewer GPUs are full at this utilisation of the current ones
        capacity = 100.0 * recommended / row['gpu_count']
        confidence = evidence.utilisation_confidence(
            ident, metrics.GPU_UTILIZATION, capacity)
        # the same work on fewer GPUs: what goes is the idle power of
        # those released
        kwh = _devices_kwh(row['accelerator'],
                           row['gpu_count'] - recommended, 0.0)
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
             'hours_observed': int(row['hours_observed'])},
            confidence, evidence.blocks(ident), kwh))
    return found


def _partition(stats, card, evidence):
    found = []
    single = stats[(stats['gpu_count'] == 1) &
                   (stats['accelerator_util_p95'] >= IDLE_UTILIZATION)]
    for ident, row in single.iterrows():
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
        confidence = evidence.utilisation_confidence(
            ident, metrics.GPU_UTILIZATION, 100.0 * part.fraction)
        if not np.isnan(memory):
            confidence *= evidence.utilisation_confidence(
                ident, metrics.GPU_MEMORY_UTILIZATION, 100.0 * part.fraction)
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
             'hours_observed': int(row['hours_observed'])},
            confidence, evidence.blocks(ident)))
    return found


def _cheaper(stats, card, evidence):
    found = []
    serving = stats[(stats['accelerator_count'] > 0) &
                    (stats['accelerator_util_p95'] >= IDLE_UTILIZATION) &
                    (stats['accelerator_util_p95'] <
                     CHEAPER_BELOW_UTILIZATION)]
    for ident, row in serving.iterrows():
        if not evidence_lib.class_known(row, 'serving', 'inference'):
            continue
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
        carried = 100.0 * option_count * option.performance / (
            count * current.performance)
        confidence = evidence.utilisation_confidence(
            ident, row['accelerator_metric'], carried)
        mean = row['accelerator_util_mean']
        now_kwh = _devices_kwh(row['accelerator'], count, mean)
        then_kwh = _devices_kwh(option.model, option_count,
                                100.0 * mean / carried)
        kwh = (None if now_kwh is None or then_kwh is None
               else now_kwh - then_kwh)
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
             'workload_type': row['type'],
             'type_confidence': float(row['type_confidence']),
             'hours_observed': int(row['hours_observed'])},
            confidence, evidence.blocks(ident), kwh))
    return found


def _off_peak(stats, card, evidence):
    found = []
    cheapest = card.cheapest_kwh()
    training = stats[(stats['type'] == 'training') &
                     (stats['energy_kwh'] > 0)]
    for ident, row in training.iterrows():
        if not evidence_lib.class_known(row, 'training'):
            continue
        paid = row['energy_spend'] / (row['energy_kwh'] * card.pue)
        monthly_kwh = row['energy_kwh'] / row['hours_observed'] * _MONTH
        saving = monthly_kwh * card.pue * (paid - cheapest)
        if saving <= 0:
            continue
        per_block = (evidence.block_sums(ident, 'energy') -
                     evidence.block_sums(ident, 'energy_kwh') * card.pue *
                     cheapest)
        found.append(_make(
            'off_peak_training', row, saving,
            'schedule this training in the cheapest tariff hours',
            {'energy_kwh': float(row['energy_kwh']),
             'hours_observed': int(row['hours_observed']),
             'pue': card.pue,
             'mean_tariff_paid': float(paid),
             'off_peak_tariff': cheapest},
            evidence.saving_confidence(ident, per_block),
            evidence.blocks(ident), 0.0))
    return found


def _power_cap(stats, card, evidence):
    found = []
    training = stats[(stats['gpu_count'] > 0) & (stats['energy_spend'] > 0)]
    for ident, row in training.iterrows():
        if not evidence_lib.class_known(row, 'training'):
            continue
        share = power_cap.accelerator_energy_share(row, card)
        curve = power_cap.curve_for(row['accelerator'])
        model = card.accelerator(row['accelerator'])
        top = curve.max_power_limit_w or (model and model.power_watts)
        if share is None or not top:
            continue
        point = power_cap.best_cap(curve, share)
        if point is None:
            continue
        kept = power_cap.relative_energy(point, share)
        monthly_spend = row['energy_spend'] / row['hours_observed'] * _MONTH
        saving = monthly_spend * (1.0 - kept)
        limit = int(round(point.fraction * top))
        per_block = evidence.block_sums(ident, 'energy') * (1.0 - kept)
        found.append(_make(
            'power_cap', row, saving,
            f'cap the {int(row["gpu_count"])} {row["accelerator"]} at '
            f'{limit} W (nvidia-smi -pl {limit}): '
            f'{100 * (1 - kept):.0f} % less energy for the same training, '
            f'{100 * (point.slowdown - 1):.0f} % longer',
            {'accelerator': row['accelerator'],
             'count': int(row['gpu_count']),
             'curve': curve.name,
             'max_power_limit_w': float(top),
             'power_limit_w': limit,
             'limit_fraction': point.fraction,
             'slowdown': point.slowdown,
             'slowdown_p90': point.slowdown_p90,
             'energy_ratio': point.energy_ratio,
             'max_slowdown': power_cap.MAX_SLOWDOWN,
             'accelerator_energy_share': share,
             'energy_spend': float(row['energy_spend']),
             'energy_kwh': float(row['energy_kwh']),
             'hours_observed': int(row['hours_observed'])},
            evidence.saving_confidence(ident, per_block),
            evidence.blocks(ident), _monthly_kwh(row) * (1.0 - kept)))
    return found


def _oversized(stats, card, flavors, evidence):
    found = []
    if not flavors:
        return found
    by_name = {f.name: f for f in flavors}
    need_cores, need_memory = flavors_lib.needed(
        stats, OVERSIZED_CPU_BELOW, CPU_TARGET_UTILIZATION,
        OVERSIZED_MEMORY_BELOW, MEMORY_TARGET_UTILIZATION)
    chosen = stats[(need_cores < stats['cpu_cores']) |
                   (need_memory < stats['memory_gb'])]
    for ident, row in chosen.iterrows():
        flavor, price = flavors_lib.fitting_flavor(
            flavors, card, row, need_cores[ident], need_memory[ident])
        if flavor is None:
            continue
        current = flavors_lib.current_price(row, card, by_name)
        saving = (current - price) * _MONTH
        if saving <= 0 or (flavor.vcpus >= row['cpu_cores'] and
                           flavor.ram_gb >= row['memory_gb']):
            continue
        confidence = 1.0
        if not np.isnan(row['cpu_p95']):
            confidence *= evidence.utilisation_confidence(
                ident, metrics.CPU_UTILIZATION,
                100.0 * flavor.vcpus / row['cpu_cores'])
        if not np.isnan(row['memory_p95']):
            confidence *= evidence.utilisation_confidence(
                ident, metrics.MEMORY_UTILIZATION,
                100.0 * flavor.ram_gb / row['memory_gb'])
        found.append(_make(
            'oversized_compute', row, saving,
            f'resize to flavor {flavor.name} ({flavor.vcpus} vCPU, '
            f'{flavor.ram_gb:g} GB RAM)',
            {'flavor': row.get('flavor'),
             'price_per_hour': float(current),
             'cpu_cores': float(row['cpu_cores']),
             'memory_gb': float(row['memory_gb']),
             'cpu_utilization_p95': float(row['cpu_p95']),
             'memory_utilization_p95': float(row['memory_p95']),
             'needed_cpu_cores': float(need_cores[ident]),
             'needed_memory_gb': float(need_memory[ident]),
             'cpu_target_utilization': CPU_TARGET_UTILIZATION,
             'memory_target_utilization': MEMORY_TARGET_UTILIZATION,
             'recommended_flavor': flavor.name,
             'recommended_cpu_cores': float(flavor.vcpus),
             'recommended_memory_gb': float(flavor.ram_gb),
             'recommended_price_per_hour': float(price),
             'hours_observed': int(row['hours_observed'])},
            confidence, evidence.blocks(ident)))
    return found


def _committed(stats, card, evidence):
    found = []
    steady = stats[(stats['presence'] >= STEADY_PRESENCE) &
                   (stats['hours_observed'] >= STEADY_MIN_HOURS)]
    for ident, row in steady.iterrows():
        model = card.accelerator(row['accelerator'])
        count = int(row['accelerator_count'])
        if count and (model is None or model.committed_hour is None):
            continue
        if card.committed_vcpu_hour is None or (
                card.committed_ram_gb_hour is None):
            continue
        evidence_figures = {
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
        saving = committed_saving(evidence_figures)
        if saving <= 0:
            continue
        # Committed capacity is paid every hour: it saves money while the
        # workload is present a larger share of the hours than this.
        committed = committed_hourly(evidence_figures)
        listed = committed + saving / _MONTH
        break_even = committed / listed
        evidence_figures['break_even_presence'] = round(break_even, 4)
        confidence = evidence_lib.holds_probability(
            evidence.block_presence(ident) - break_even,
            evidence_lib.MARGIN_RESOLUTION['presence'])
        found.append(_make('committed_use', row, saving,
                           'buy committed-use capacity for this steady '
                           'workload', evidence_figures, confidence,
                           evidence.blocks(ident), 0.0))
    return found


def committed_hourly(evidence):
    return (evidence['accelerator_count'] *
            evidence['committed_price_per_hour'] +
            evidence['cpu_cores'] * evidence['committed_vcpu_hour'] +
            evidence['memory_gb'] * evidence['committed_ram_gb_hour'])


def committed_saving(evidence):
    return (evidence['accelerator_count'] *
            (evidence['price_per_hour'] -
             evidence['committed_price_per_hour']) +
            evidence['cpu_cores'] * (evidence['vcpu_hour'] -
                                     evidence['committed_vcpu_hour']) +
            evidence['memory_gb'] * (evidence['ram_gb_hour'] -
                                     evidence['committed_ram_gb_hour'])
            ) * _MONTH


def _expected(item):
    return item['monthly_saving_float'] * item['confidence']


def recommend(workloads, usage, costs, card, flavors=()):
    """Recommendations for every priced workload, the largest expected
    saving (saving x confidence) first.

    :param workloads: the workloads frame; an optional ``type_confidence``
        column (1 for a declared type) and ``flavor`` column (the Nova
        flavor each runs on) are read when present.
    :param costs: the frame of :func:`realtime.compute_costs` for the same
        workloads and usage.
    :param flavors: :class:`ratecard.Flavor` learned from Nova, added to
        the card's own list.
    :returns: list of dicts ``workload_id, project_id, kind, action,
        monthly_saving (Decimal), monthly_kwh (float or None), currency,
        confidence, expected_monthly_saving (Decimal), evidence``.
    """
    if costs.empty:
        return []
    stats, evidence = evidence_lib.workload_stats(workloads, usage, costs)
    flavors = flavors_lib.merge_flavors(card, flavors)
    sizing = (_idle(stats, card, evidence) + _fewer_gpus(stats, evidence) +
              _partition(stats, card, evidence) +
              _cheaper(stats, card, evidence))
    best_sizing = {}
    for item in sizing:
        kept = best_sizing.get(item['workload_id'])
        if kept is None or _expected(item) > _expected(kept):
            best_sizing[item['workload_id']] = item
    # Committing to capacity is only advised for workloads whose
    # accelerators are already the right ones.
    right_sized = stats.loc[~stats.index.isin(list(best_sizing))]
    found = (list(best_sizing.values()) + _off_peak(stats, card, evidence) +
             _power_cap(stats, card, evidence) +
             _oversized(stats, card, flavors, evidence) +
             _committed(right_sized, card, evidence))
    found = [f for f in found if f['monthly_saving_float'] > 0]
    found.sort(key=lambda f: (-_expected(f), -f['monthly_saving_float'],
                              f['workload_id'], f['kind']))
    for item in found:
        item['expected_monthly_saving'] = ratecard.to_money(_expected(item))
        item['monthly_saving'] = ratecard.to_money(
            item.pop('monthly_saving_float'))
        item['currency'] = card.currency
    return found
