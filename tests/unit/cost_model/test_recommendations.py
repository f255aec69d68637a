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

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kcloud_analyzer.common import datasets
from kcloud_analyzer.common import power_curves
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
        return (e['price_per_hour'] - e['recommended_price_per_hour']) * MONTH
    if kind == 'power_cap':
        share = e['accelerator_energy_share']
        kept = share * e['energy_ratio'] + (1 - share) * e['slowdown']
        return e['energy_spend'] / e['hours_observed'] * MONTH * (1 - kept)
    if kind == 'committed_use':
        return (e['accelerator_count'] *
                (e['price_per_hour'] - e['committed_price_per_hour']) +
                e['cpu_cores'] * (e['vcpu_hour'] - e['committed_vcpu_hour']) +
                e['memory_gb'] * (e['ram_gb_hour'] -
                                  e['committed_ram_gb_hour'])) * MONTH
    raise AssertionError(kind)


@functools.cache
def _scenario_inputs():
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
    return fleet, cards.usage(rows), cards.card()


@functools.cache
def _scenario_costs():
    fleet, usage, card = _scenario_inputs()
    return realtime.compute_costs(fleet, usage, card)


@functools.cache
def _scenario():
    fleet, usage, card = _scenario_inputs()
    return tuple(recommendations.recommend(fleet, usage, _scenario_costs(),
                                           card))


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
        # 16 vCPU at 10 % need 2.3, 64 GB at 20 % need 16: c1.medium
        # (4 vCPU, 20 GB) at its own 0.30 beats m1.medium's 4 x 0.05 +
        # 16 x 0.01 = 0.36; (16 x 0.05 + 64 x 0.01 - 0.30) x 730
        ('cpu', 'oversized_compute'): '832.200000',
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
    assert {f['kind'] for f in found} == set(recommendations.KINDS)
    for item in found:
        redone = ratecard.to_money(
            _saving_from_evidence(item['kind'], item['evidence']))
        assert abs(redone - item['monthly_saving']) <= decimal.Decimal(
            '0.000002'), item
        assert item['currency'] == 'EUR'
        assert 0 < item['confidence'] <= 1


def _device_watts(model, utilisation):
    """The packaged curve, written out: idle + (busy - idle) x u / 100."""
    idle, busy = power_curves.default_curves()[model.lower()]
    return idle + (busy - idle) * min(max(utilisation, 0), 100) / 100


def test_each_kind_promises_the_energy_it_saves():
    found = _by(_scenario())
    # 'idle' measured no power: its billed energy is the estimate, all of
    # it drawn by the two released A100s (no host power measured)
    fleet_usage_costs = _scenario_costs()
    idle = fleet_usage_costs.loc[fleet_usage_costs['workload_id'] == 'idle']
    assert idle['energy_kwh'].sum() > 0
    assert found[('idle', 'idle_accelerator')]['monthly_kwh'] == (
        pytest.approx(idle['energy_kwh'].sum() / 24 * MONTH, abs=1e-3))
    # the same work on 2 A100s instead of 4: 2 x the idle power
    assert found[('wide', 'fewer_gpus')]['monthly_kwh'] == pytest.approx(
        2 * _device_watts('A100', 0) * MONTH / 1000, abs=1e-3)
    # 2 kW for 24 h a day, less the relative energy at the cap
    cap = found[('wide', 'power_cap')]
    e = cap['evidence']
    kept = (e['accelerator_energy_share'] * e['energy_ratio'] +
            (1 - e['accelerator_energy_share']) * e['slowdown'])
    assert e['energy_kwh'] == pytest.approx(48.0)
    assert cap['monthly_kwh'] == pytest.approx(2.0 * MONTH * (1 - kept),
                                               abs=1e-3)
    assert cap['monthly_kwh'] > 0
    # a price, not a change of load
    assert found[('wide', 'off_peak_training')]['monthly_kwh'] == 0.0
    assert found[('steady', 'committed_use')]['monthly_kwh'] == 0.0
    # not known: a slice of a shared GPU, vCPU and RAM power, a move to a
    # model (L40S) without a power curve
    for key in (('small', 'gpu_partition'), ('cpu', 'oversized_compute'),
                ('server', 'cheaper_accelerator')):
        assert found[key]['monthly_kwh'] is None, key


def test_a_move_between_models_with_curves_promises_their_difference():
    # An H100 (performance 2) 20 % busy: the same work is 40 % of one
    # A100 (performance 1), half the price.
    fleet = cards.workloads(('server', 'serving', 4, 16, 1, 0, 'H100', 'p1'))
    usage = cards.usage([('server', t, 'gpu_utilization', 20) for t in
                         pd.date_range(cards.MONDAY, periods=24, freq='h')])
    card = cards.card(accelerators={
        'H100': {'kind': 'gpu', 'hour': '4.00', 'performance': 2.0},
        'A100': {'kind': 'gpu', 'hour': '2.00', 'performance': 1.0}})
    costs = realtime.compute_costs(fleet, usage, card)
    move = _by(recommendations.recommend(fleet, usage, costs, card))[
        ('server', 'cheaper_accelerator')]
    assert move['evidence']['candidate'] == 'A100'
    assert move['evidence']['candidate_count'] == 1
    expected = (_device_watts('H100', 20) - _device_watts('A100', 40)) * (
        MONTH / 1000)
    assert expected > 0
    assert move['monthly_kwh'] == pytest.approx(expected, abs=1e-3)


def test_sizing_alternatives_are_not_added_up():
    found = _scenario()
    sizing = [f for f in found if f['kind'] in (
        'idle_accelerator', 'fewer_gpus', 'gpu_partition',
        'cheaper_accelerator')]
    assert len({f['workload_id'] for f in sizing}) == len(sizing)


def _t_probability(margins):
    """The documented confidence, written out again."""
    margins = np.asarray(margins, dtype=float)
    n = margins.size
    spread = max(margins.std(ddof=1), 1.0) * np.sqrt(1 + 1 / n)
    return stats.t.cdf(margins.mean() / spread, df=n - 1)


def test_confidence_is_the_probability_that_the_margin_holds():
    found = _by(_scenario())
    idle = found[('idle', 'idle_accelerator')]
    # a day of evidence: four 6-hour blocks, each 1 % busy under the 5 %
    # that idle means; constant evidence takes the 1-point resolution
    assert idle['evidence']['evidence_blocks'] == 4
    assert idle['evidence']['block_hours'] == 6
    assert idle['confidence'] == pytest.approx(
        _t_probability([4, 4, 4, 4]), abs=1e-4)
    # 4 A100 at 30 %: the 2 kept are full at 50 % of the 4
    wide = found[('wide', 'fewer_gpus')]
    assert wide['confidence'] == pytest.approx(
        _t_probability([20, 20, 20, 20]), abs=1e-4)
    # a week present every hour: seven day blocks far above break-even
    steady = found[('steady', 'committed_use')]
    assert steady['evidence']['evidence_blocks'] == 7
    assert steady['confidence'] > 0.999


def _daily_levels(levels):
    fleet = cards.workloads(('w', 'training', 4, 16, 4, 0, 'A100', 'p1'))
    stamps = pd.date_range(cards.MONDAY, periods=24 * len(levels), freq='h')
    load = np.repeat(levels, 24)
    usage = cards.usage([('w', t, 'gpu_utilization', v)
                         for t, v in zip(stamps, load, strict=True)])
    card = cards.card()
    costs = realtime.compute_costs(fleet, usage, card)
    return _by(recommendations.recommend(fleet, usage, costs, card))


def test_confidence_falls_with_the_variance_of_the_evidence():
    # 4 A100 peaking at 34 % fit on ceil(4 x 34 / 70) = 2, full at 50 %
    calm = _daily_levels([34, 34, 34, 34])[('w', 'fewer_gpus')]
    rough = _daily_levels([5, 34, 5, 34])[('w', 'fewer_gpus')]
    assert calm['evidence']['block_hours'] == 24
    assert calm['evidence']['recommended_count'] == 2
    assert rough['evidence']['recommended_count'] == 2
    assert calm['confidence'] == pytest.approx(
        _t_probability([16, 16, 16, 16]), abs=1e-4)
    assert rough['confidence'] == pytest.approx(
        _t_probability([45, 16, 45, 16]), abs=1e-4)
    assert rough['confidence'] < calm['confidence'] - 0.05
    assert rough['expected_monthly_saving'] == ratecard.to_money(
        float(rough['monthly_saving']) * rough['confidence'])


def test_one_block_of_evidence_promises_nothing():
    fleet = cards.workloads(('w', 'training', 4, 16, 1, 0, 'A100', 'p1'))
    # one hour observed: one block, however many samples it holds
    stamps = pd.date_range(cards.MONDAY, periods=12, freq='5min')
    usage = cards.usage([('w', t, 'gpu_utilization', 1) for t in stamps])
    card = cards.card()
    costs = realtime.compute_costs(fleet, usage, card)
    found = recommendations.recommend(fleet, usage, costs, card)
    idle = _by(found)[('w', 'idle_accelerator')]
    assert all(f['confidence'] == 0.0 for f in found)
    assert idle['confidence'] == 0.0
    assert idle['expected_monthly_saving'] == 0


def test_accelerator_moves_need_a_class_known_with_confidence():
    day = pd.date_range(cards.MONDAY, periods=24, freq='h')
    usage = cards.usage([(w, t, 'gpu_utilization', 20) for t in day
                         for w in ('sure', 'unsure', 'unknown')])
    fleet = cards.workloads(
        ('sure', 'serving', 4, 16, 1, 0, 'H100', 'p1'),
        ('unsure', 'serving', 4, 16, 1, 0, 'H100', 'p1'),
        ('unknown', 'unknown', 4, 16, 1, 0, 'H100', 'p1'))
    fleet['type_confidence'] = [0.95, 0.6, 0.9]
    card = cards.card()
    costs = realtime.compute_costs(fleet, usage, card)
    moved = {f['workload_id'] for f in recommendations.recommend(
        fleet, usage, costs, card) if f['kind'] == 'cheaper_accelerator'}
    assert moved == {'sure'}


def test_resizes_name_the_cheapest_fitting_flavor():
    found = _by(_scenario())
    resize = found[('cpu', 'oversized_compute')]
    assert resize['action'] == 'resize to flavor c1.medium (4 vCPU, 20 GB RAM)'
    assert resize['evidence']['recommended_flavor'] == 'c1.medium'
    assert resize['evidence']['needed_cpu_cores'] == pytest.approx(16 / 7)
    # CPU needs 2.3 of 4 vCPU, memory 16 of 20 GB: both blocks margins
    cpu = _t_probability([100 * 4 / 16 - 10] * 4)
    memory = _t_probability([100 * 20 / 64 - 20] * 4)
    assert resize['confidence'] == pytest.approx(cpu * memory, abs=1e-4)


def test_a_gpu_workload_is_resized_within_flavors_of_its_accelerators():
    fleet = cards.workloads(('g', 'training', 16, 64, 1, 0, 'A100', 'p1'))
    day = pd.date_range(cards.MONDAY, periods=24, freq='h')
    usage = cards.usage([('g', t, m, v) for t in day for m, v in (
        ('gpu_utilization', 90), ('cpu_utilization', 5),
        ('memory_utilization', 5))])
    card = cards.card()
    costs = realtime.compute_costs(fleet, usage, card)
    found = _by(recommendations.recommend(fleet, usage, costs, card))
    resize = found[('g', 'oversized_compute')]
    # the model matches case-insensitively; m1.small has no A100
    assert resize['evidence']['recommended_flavor'] == 'g1.a100.small'
    # nothing smaller than listed flavors, nothing without a flavor
    no_flavors = cards.card(flavors=[])
    assert ('g', 'oversized_compute') not in _by(recommendations.recommend(
        fleet, usage, realtime.compute_costs(fleet, usage, no_flavors),
        no_flavors))


def test_flavors_learned_from_nova_join_the_card():
    fleet = cards.workloads(('cpu', 'inference', 16, 64, 0, 0, None, 'p2'))
    day = pd.date_range(cards.MONDAY, periods=24, freq='h')
    usage = cards.usage([('cpu', t, m, 10) for t in day
                         for m in ('cpu_utilization', 'memory_utilization')])
    card = cards.card()
    costs = realtime.compute_costs(fleet, usage, card)
    learned = ratecard.Flavor(name='tiny', vcpus=3, ram_mb=8192)
    found = _by(recommendations.recommend(fleet, usage, costs, card,
                                          flavors=[learned]))
    assert found[('cpu', 'oversized_compute')]['evidence'][
        'recommended_flavor'] == 'tiny'


def test_ranked_by_expected_saving_and_nothing_without_a_saving():
    found = _scenario()
    expected = [f['expected_monthly_saving'] for f in found]
    assert expected == sorted(expected, reverse=True)
    savings = [f['monthly_saving'] for f in found]
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
    # memory use was never measured: the evidence says so with None and
    # the flavor keeps all the RAM
    assert oversized['memory_utilization_p95'] is None
    assert oversized['needed_memory_gb'] == 64.0
    assert oversized['recommended_flavor'] == 'g1.a100.highmem'
    assert oversized['recommended_memory_gb'] == 64.0


def test_a_real_serving_pod_moves_to_a_cheaper_accelerator():
    """A Stable Diffusion serving pod of the Alibaba GenAI trace (22.8 h of
    per-minute GPU duty cycle), priced as one H100."""
    frame = pd.read_csv(datasets.data_dir() / 'alibaba_genai_serving_2026_dev'
                        / 'pod_gpu_duty_cycle_anon.csv.gz')
    pod = frame[frame['container_ip'] ==
                '23b8eba99c14e73d454503a55ae96989']
    stamps = pd.to_datetime(pod['timestamp_anon'], unit='s', utc=True)
    usage = pd.DataFrame({'workload_id': 'pod', 'timestamp': stamps,
                          'metric': 'gpu_utilization',
                          'value': pod['value'].astype(float)})
    fleet = cards.workloads(('pod', 'serving', 8, 64, 1, 0, 'H100', 'p1'))
    fleet['type_confidence'] = 0.9
    card = cards.card()
    costs = realtime.compute_costs(fleet, usage, card)
    found = _by(recommendations.recommend(fleet, usage, costs, card))
    move = found[('pod', 'cheaper_accelerator')]
    e = move['evidence']
    # p95 of the hourly means 23.9 % of an H100 (performance 2): 0.68
    # A100-equivalents at 70 % fit on 2 NPU-X (0.4 each), 1.00/h for 4.00
    assert e['utilization_p95'] == pytest.approx(23.9, abs=0.1)
    assert (e['candidate'], e['candidate_count']) == ('NPU-X', 2)
    assert move['monthly_saving'] == decimal.Decimal('2190.000000')
    # the two NPUs carry 2 x 0.4 / 2 = 40 % of the H100; margins per
    # 6-hour block, redone from the hourly means
    hourly = usage.set_index('timestamp')['value'].resample('h').mean()
    blocks = np.arange(hourly.size) // e['block_hours']
    margins = 40.0 - hourly.groupby(blocks).quantile(0.95).to_numpy()
    assert e['evidence_blocks'] == 4
    assert move['confidence'] == pytest.approx(_t_probability(margins),
                                               abs=1e-4)
    assert 0.9 < move['confidence'] < 0.99
