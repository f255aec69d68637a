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
"""Recommendations: each kind found, and every saving redone from evidence."""

import decimal
import functools

import pandas as pd
import pytest

from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.cost_model import realtime
from kcloud_analyzer.cost_model import recommendations
from tests.unit.cost_model import cards

MONTH = 730.0


def _saving_from_evidence(kind, e):
    """The documented formulas, written out again independently."""
    if kind == 'idle_accelerator':
        return e['count'] * e['price_per_hour'] * MONTH
    if kind == 'fewer_gpus':
        return ((e['count'] - e['recommended_count']) *
                e['price_per_hour'] * MONTH)
    if kind == 'gpu_partition':
        return (e['price_per_hour'] - e['partition_price_per_hour']) * MONTH
    if kind == 'cheaper_accelerator':
        return (e['count'] * e['price_per_hour'] -
                e['candidate_count'] * e['candidate_price_per_hour']) * MONTH
    if kind == 'off_peak_training':
        return (e['energy_kwh'] / e['hours_observed'] * MONTH * e['pue'] *
                (e['mean_tariff_paid'] - e['off_peak_tariff']))
    if kind == 'oversized_compute':
        return ((e['cpu_cores'] - e['recommended_cpu_cores']) *
                e['vcpu_hour'] +
                (e['memory_gb'] - e['recommended_memory_gb']) *
                e['ram_gb_hour']) * MONTH
    if kind == 'committed_use':
        return (e['accelerator_count'] *
                (e['price_per_hour'] - e['committed_price_per_hour']) +
                e['cpu_cores'] * (e['vcpu_hour'] - e['committed_vcpu_hour']) +
                e['memory_gb'] * (e['ram_gb_hour'] -
                                  e['committed_ram_gb_hour'])) * MONTH
    raise AssertionError(kind)


@functools.cache
def _scenario():
    fleet = cards.workloads(
        ('idle', 'training', 4, 16, 2, 0, 'A100', 'p1'),
        ('wide', 'training', 4, 16, 4, 0, 'A100', 'p1'),
        ('small', 'training', 4, 16, 1, 0, 'A100', 'p1'),
        ('server', 'serving', 4, 16, 1, 0, 'H100', 'p2'),
        ('cpu', 'inference', 16, 64, 0, 0, None, 'p2'),
        ('steady', 'training', 4, 16, 1, 0, 'A100', 'p3'),
    )
    day = pd.date_range(cards.MONDAY, periods=24, freq='h')
    week = pd.date_range(cards.MONDAY, periods=168, freq='h')
    rows = []
    for t in day:
        rows += [('idle', t, 'gpu_utilization', 1),
                 ('wide', t, 'gpu_utilization', 30),
                 ('wide', t, 'power_watts', 2000),
                 ('small', t, 'gpu_utilization', 20),
                 ('small', t, 'gpu_memory_utilization', 30),
                 ('server', t, 'gpu_utilization', 20),
                 ('cpu', t, 'cpu_utilization', 10),
                 ('cpu', t, 'memory_utilization', 20)]
    for t in week:
        rows += [('steady', t, 'gpu_utilization', 90),
                 ('steady', t, 'cpu_utilization', 60),
                 ('steady', t, 'memory_utilization', 60)]
    usage = cards.usage(rows)
    card = cards.card()
    costs = realtime.compute_costs(fleet, usage, card)
    return tuple(recommendations.recommend(fleet, usage, costs, card))


def _by(found):
    return {(f['workload_id'], f['kind']): f for f in found}


def test_each_kind_is_found_with_the_hand_computed_saving():
    found = _by(_scenario())
    expected = {
        # 2 idle A100 x 2.00 x 730
        ('idle', 'idle_accelerator'): '2920.000000',
        # 4 A100 at 30 % fit on ceil(4 x 30 / 70) = 2: 2 x 2.00 x 730
        ('wide', 'fewer_gpus'): '2920.000000',
        # 20 % busy, 30 % of memory: the half-GPU slice, (2.00 - 0.90) x 730
        ('small', 'gpu_partition'): '803.000000',
        # H100 (perf 2) at 20 %: 0.571 A100-equivalents fit one L40S (0.6)
        ('server', 'cheaper_accelerator'): '2190.000000',
        # 16 vCPU at 10 % -> 3, 64 GB at 20 % -> 16:
        # (13 x 0.05 + 48 x 0.01) x 730
        ('cpu', 'oversized_compute'): '824.900000',
        # (1 x (2.00 - 1.40) + 4 x (0.05 - 0.03) + 16 x (0.01 - 0.006)) x 730
        ('steady', 'committed_use'): '543.120000',
    }
    for key, saving in expected.items():
        assert key in found, key
        assert found[key]['monthly_saving'] == decimal.Decimal(saving), key
    # Monday in the test card: 6 h at 0.05, 1.5 h at 0.10, 12.5 h at 0.30,
    # 3 h at 0.10, 1 h at 0.05; 2 kW for 24 h.
    paid = (6 * 0.05 + 1.5 * 0.10 + 12.5 * 0.30 + 3 * 0.10 + 0.05) / 24
    off_peak = found[('wide', 'off_peak_training')]
    assert off_peak['evidence']['mean_tariff_paid'] == pytest.approx(paid)
    assert float(off_peak['monthly_saving']) == pytest.approx(
        2.0 * MONTH * 1.5 * (paid - 0.05), abs=1e-6)


def test_every_saving_is_recomputed_from_its_evidence():
    found = _scenario()
    assert {f['kind'] for f in found} == set(
        recommendations.KIND_CONFIDENCE)
    for item in found:
        redone = ratecard.to_money(
            _saving_from_evidence(item['kind'], item['evidence']))
        assert abs(redone - item['monthly_saving']) <= decimal.Decimal(
            '0.000002'), item
        assert item['currency'] == 'EUR'
        assert 0 < item['confidence'] <= 1


def test_sizing_alternatives_are_not_added_up():
    found = _scenario()
    sizing = [f for f in found if f['kind'] in (
        'idle_accelerator', 'fewer_gpus', 'gpu_partition',
        'cheaper_accelerator')]
    assert len({f['workload_id'] for f in sizing}) == len(sizing)


def test_confidence_grows_with_the_evidence_hours():
    found = _by(_scenario())
    # a day of evidence: 24 / 168 of the kind's weight
    assert found[('idle', 'idle_accelerator')]['confidence'] == round(
        24 / 168 * 0.95, 2)
    assert found[('steady', 'committed_use')]['confidence'] == 0.8


def test_savings_are_sorted_and_nothing_without_a_saving():
    found = _scenario()
    savings = [f['monthly_saving'] for f in found]
    assert savings == sorted(savings, reverse=True)
    assert all(s > 0 for s in savings)
    assert ('steady', 'oversized_compute') not in _by(found)


def test_no_commitment_for_idle_hardware_and_no_nan_in_evidence():
    fleet = cards.workloads(('lab', 'training', 8, 64, 1, 0, 'A100', 'p1'))
    week = pd.date_range(cards.MONDAY, periods=168, freq='h')
    usage = cards.usage(
        [('lab', t, 'gpu_utilization', 0.5) for t in week] +
        [('lab', t, 'cpu_utilization', 3) for t in week])
    card = cards.card()
    costs = realtime.compute_costs(fleet, usage, card)
    found = _by(recommendations.recommend(fleet, usage, costs, card))
    assert ('lab', 'idle_accelerator') in found
    assert ('lab', 'committed_use') not in found
    oversized = found[('lab', 'oversized_compute')]['evidence']
    # memory use was never measured: the evidence says so with None
    assert oversized['memory_utilization_p95'] is None
    assert oversized['recommended_memory_gb'] == 64.0
