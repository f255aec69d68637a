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
"""How the panels show the API's values.

Plain functions over the API's documents, free of Django and Horizon so
that they are tested without either.
"""

import math


def money(amount, currency):
    """``12.50 USD``, or ``-`` when the amount is unknown."""
    if amount is None:
        return '-'
    return '%.2f %s' % (amount, currency or '')


def percent(share):
    """A share between 0 and 1 as a whole percentage."""
    if share is None:
        return '-'
    return '%.0f%%' % (100.0 * share)


def figure(value):
    """A profile figure: floats to two decimals, NaN as ``-``."""
    if isinstance(value, float):
        return '-' if math.isnan(value) else '%.2f' % value
    return value


def workload_class(workload):
    """The classified type with the classifier's confidence, else the
    declared type; ``unknown`` with the reason the classifier gave."""
    classified = workload.get('classified_type')
    if classified == 'unknown':
        reason = workload.get('reason')
        return 'unknown: %s' % reason if reason else 'unknown'
    if classified:
        if workload.get('confidence') is not None:
            return '%s (%s)' % (classified, percent(workload['confidence']))
        return classified
    return workload.get('declared_type') or '-'


def totals_by_workload(summary):
    """Each workload's total cost and currency from the rows of a cost
    summary grouped by workload (one row per workload and period)."""
    totals = {}
    for row in summary:
        total, _currency = totals.get(row['group'], (0.0, None))
        totals[row['group']] = (total + row['total'], row['currency'])
    return totals


def savings(recommendations):
    """The monthly savings of ``recommendations`` summed per currency,
    e.g. ``508.75 USD``; empty when there are none."""
    totals = {}
    for item in recommendations:
        currency = item['currency']
        totals[currency] = totals.get(currency, 0.0) + (
            item['monthly_saving'] or 0.0)
    return ', '.join(money(totals[currency], currency)
                     for currency in sorted(totals))


#: What each kind of recommendation asks for, as operators say it.
KIND_LABELS = {
    'idle_accelerator': 'Release idle accelerators',
    'fewer_gpus': 'Use fewer GPUs',
    'gpu_partition': 'Use a GPU partition (MIG / vGPU)',
    'cheaper_accelerator': 'Move to a cheaper accelerator',
    'off_peak_training': 'Train off-peak',
    'oversized_compute': 'Resize vCPUs and RAM',
    'committed_use': 'Commit to reserved capacity',
    'power_cap': 'Cap accelerator power',
}


def recommendation_kind(recommendation):
    """The readable name of a recommendation's kind; unknown kinds are
    shown with their words spaced out."""
    kind = recommendation.get('kind') or ''
    return KIND_LABELS.get(kind, kind.replace('_', ' ').capitalize())


def _count(count, model):
    return '%s × %s' % (count, model) if count else model


def recommendation_target(recommendation):
    """What the recommendation moves the workload to: a Nova flavor when
    it names one, else the accelerator model, partition, count or size
    from its evidence; ``-`` when it names no target."""
    evidence = recommendation.get('evidence') or {}
    if evidence.get('recommended_flavor'):
        # (``flavor`` in the evidence is the one the workload runs on.)
        return 'flavor %s' % evidence['recommended_flavor']
    kind = recommendation.get('kind')
    if kind == 'cheaper_accelerator' and evidence.get('candidate'):
        return _count(evidence.get('candidate_count'),
                      evidence['candidate'])
    if kind == 'gpu_partition' and evidence.get('partition'):
        return evidence['partition']
    if kind == 'fewer_gpus' and evidence.get('recommended_count'):
        return _count(evidence['recommended_count'],
                      evidence.get('accelerator') or 'GPU')
    if kind == 'idle_accelerator':
        return 'no %s' % (evidence.get('accelerator') or 'accelerator')
    if kind == 'oversized_compute' and evidence.get('recommended_cpu_cores'):
        return '%s vCPU, %s GB RAM' % (
            figure(float(evidence['recommended_cpu_cores'])).rstrip(
                '0').rstrip('.'),
            figure(float(evidence.get('recommended_memory_gb') or 0))
            .rstrip('0').rstrip('.'))
    if kind == 'power_cap' and evidence.get('power_limit_w'):
        return '%s W per %s' % (evidence['power_limit_w'],
                                evidence.get('accelerator') or 'device')
    if kind == 'off_peak_training' and evidence.get('off_peak_tariff'):
        return 'tariff %s / kWh' % figure(float(
            evidence['off_peak_tariff']))
    return '-'
