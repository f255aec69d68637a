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
"""Every cost line checked against figures worked out by hand.

The card is tests.unit.cost_model.cards.BASE: vCPU 0.05/h, RAM 0.01/GB-h,
A100 2.00/h, NPU-X 0.50/h, storage 0.73/GB-month (0.001/GB-h over 730 h),
egress 0.10/GB, electricity 0.10/kWh with a weekday peak of 0.30 from
07:30 to 20:00 and a night price of 0.05 from 23:00 to 06:00, PUE 1.5,
0.5 kg CO2e/kWh.
"""

import decimal

import numpy as np
import pandas as pd
import pytest

from kcloud_analyzer.common import datasets
from kcloud_analyzer.cost_model import realtime
from kcloud_analyzer.workload_analyzer import datasets as wl_datasets
from tests.unit.cost_model import cards

TRAINER = ('w1', 'training', 4, 16, 2, 0, 'A100', 'p1')
SERVER = ('w2', 'serving', 2, 8, 0, 2, 'NPU-X', 'p2')


def _row(costs, workload_id, hour):
    stamp = pd.Timestamp(hour)
    match = costs[(costs['workload_id'] == workload_id) &
                  (costs['hour'] == stamp)]
    assert len(match) == 1
    return match.iloc[0]


def test_every_line_of_one_hour():
    usage = cards.usage([
        ('w1', '2026-03-02T10:00Z', 'power_watts', 800),
        ('w1', '2026-03-02T10:30Z', 'power_watts', 1200),
        ('w1', '2026-03-02T10:00Z', 'gpu_utilization', 40),
        ('w1', '2026-03-02T10:30Z', 'gpu_utilization', 60),
        ('w1', '2026-03-02T10:00Z', 'cpu_utilization', 50),
        ('w1', '2026-03-02T10:00Z', 'memory_utilization', 25),
        ('w1', '2026-03-02T10:00Z', 'storage_gb', 100),
        ('w1', '2026-03-02T10:00Z', 'network_tx_bytes_per_s', 1e6),
        ('w1', '2026-03-02T10:00Z', 'network_rx_bytes_per_s', 9e9),
    ])
    costs = realtime.compute_costs(cards.workloads(TRAINER), usage,
                                   cards.card())
    row = _row(costs, 'w1', '2026-03-02T10:00Z')
    # 4 vCPU x 0.05 + 16 GB x 0.01
    assert row['compute'] == pytest.approx(0.36)
    # 2 GPUs x 2.00
    assert row['gpu'] == pytest.approx(4.00)
    assert row['npu'] == 0.0
    # 100 GB x 0.73 / 730 h
    assert row['storage'] == pytest.approx(0.10)
    # 1e6 B/s x 3600 s = 3.6 GB out x 0.10; inbound traffic is free
    assert row['network'] == pytest.approx(0.36)
    # mean 1000 W for 1 h = 1 kWh x PUE 1.5 x 0.30 (Monday peak)
    assert row['energy_kwh'] == pytest.approx(1.0)
    assert row['facility_kwh'] == pytest.approx(1.5)
    assert row['tariff_kwh'] == pytest.approx(0.30)
    assert row['energy'] == pytest.approx(0.45)
    assert row['carbon_kg_co2e'] == pytest.approx(0.75)
    assert row['cost_per_hour'] == pytest.approx(5.27)
    # usage basis: 0.20 x 50 % + 0.16 x 25 %; 4.00 x mean 50 %
    assert row['usage_compute'] == pytest.approx(0.14)
    assert row['usage_gpu'] == pytest.approx(2.00)
    assert row['usage_cost_per_hour'] == pytest.approx(
        0.14 + 2.00 + 0.10 + 0.36 + 0.45)
    assert row['idle_cost'] == pytest.approx(5.27 - 3.05)
    assert costs.attrs['currency'] == 'EUR'


def test_npu_line_and_its_usage_basis():
    usage = cards.usage([
        ('w2', '2026-03-07T12:00Z', 'npu_utilization', 30),
        ('w2', '2026-03-07T12:00Z', 'accelerator_power_watts', 500),
        ('w2', '2026-03-07T12:30Z', 'accelerator_power_watts', 500),
    ])
    costs = realtime.compute_costs(cards.workloads(SERVER), usage,
                                   cards.card())
    row = _row(costs, 'w2', '2026-03-07T12:00Z')
    assert row['gpu'] == 0.0
    assert row['npu'] == pytest.approx(1.00)          # 2 x 0.50
    assert row['usage_npu'] == pytest.approx(0.30)    # 30 % of it
    # board power only: 0.5 kWh x 1.5 x 0.10 (Saturday, no peak)
    assert row['energy'] == pytest.approx(0.075)
    # no CPU or memory utilisation sample: no idle compute is claimed
    assert row['usage_compute'] == pytest.approx(row['compute'])


def test_override_starting_mid_window_changes_only_later_hours():
    card = cards.card(overrides=[
        {'project_id': 'p1', 'start': '2026-03-02T12:00:00Z',
         'end': '2026-03-02T14:30:00Z',
         'accelerators': {'a100': {'hour': '1.00'}},
         'compute': {'vcpu_hour': '0.02'}},
    ])
    other = ('w3', 'training', 4, 16, 2, 0, 'A100', 'p2')
    hours = ['2026-03-02T%02d:00Z' % h for h in (11, 12, 13, 14, 15)]
    usage = cards.usage(
        [(w, h, 'gpu_utilization', 100) for w in ('w1', 'w3')
         for h in hours])
    costs = realtime.compute_costs(cards.workloads(TRAINER, other), usage,
                                   card)
    gpu = [_row(costs, 'w1', h)['gpu'] for h in hours]
    # before, covered, covered, half covered (14:00-14:30), after
    assert gpu == pytest.approx([4.0, 2.0, 2.0, 3.0, 4.0])
    compute = [_row(costs, 'w1', h)['compute'] for h in hours]
    assert compute == pytest.approx([0.36, 0.24, 0.24, 0.30, 0.36])
    # another project keeps the base prices
    assert [_row(costs, 'w3', h)['gpu'] for h in hours] == pytest.approx(
        [4.0] * 5)


def test_override_starting_inside_an_hour_is_prorated():
    card = cards.card(overrides=[
        {'project_id': 'p1', 'start': '2026-03-02T12:15:00Z',
         'accelerators': {'A100': {'hour': '1.00'}}}])
    usage = cards.usage([('w1', '2026-03-02T12:00Z', 'cpu_utilization', 5),
                         ('w1', '2026-03-02T13:00Z', 'cpu_utilization', 5)])
    costs = realtime.compute_costs(cards.workloads(TRAINER), usage, card)
    # 15 minutes at 2.00 and 45 at 1.00, for 2 GPUs
    assert costs['gpu'].tolist() == pytest.approx([2 * 1.25, 2 * 1.00])


def test_hour_without_power_has_no_energy_line():
    usage = cards.usage([('w1', '2026-03-02T10:00Z', 'cpu_utilization', 5)])
    costs = realtime.compute_costs(cards.workloads(TRAINER), usage,
                                   cards.card())
    assert costs['energy'].iloc[0] == 0.0
    assert np.isnan(costs['tariff_kwh'].iloc[0])


def test_unknown_accelerator_or_workload_is_refused():
    odd = ('w9', 'training', 1, 1, 1, 0, 'B200', 'p1')
    usage = cards.usage([('w9', '2026-03-02T10:00Z', 'cpu_utilization', 5)])
    with pytest.raises(realtime.CostInputError, match='B200'):
        realtime.compute_costs(cards.workloads(odd), usage, cards.card())
    with pytest.raises(realtime.CostInputError, match='w9'):
        realtime.compute_costs(cards.workloads(TRAINER), usage,
                               cards.card())
    mixed = ('w8', 'training', 1, 1, 1, 0, 'NPU-X', 'p1')
    usage = cards.usage([('w8', '2026-03-02T10:00Z', 'cpu_utilization', 5)])
    with pytest.raises(realtime.CostInputError, match='npu'):
        realtime.compute_costs(cards.workloads(mixed), usage, cards.card())


def _two_workload_costs():
    rows = []
    for hour in range(6):
        stamp = f'2026-03-07T{hour:02d}:00Z'
        rows.append(('w1', stamp, 'power_watts', 1000))
        rows.append(('w2', stamp, 'npu_utilization', 50))
    third = ('w3', 'inference', 1, 2, 0, 0, None, 'p1')
    rows.append(('w3', '2026-03-07T02:00Z', 'cpu_utilization', 50))
    return realtime.compute_costs(
        cards.workloads(TRAINER, SERVER, third), cards.usage(rows),
        cards.card())


def test_totals_per_instance_and_per_project_over_a_window():
    costs = _two_workload_costs()
    per_instance = realtime.totals(costs, 'workload_id',
                                   start='2026-03-07T01:00Z',
                                   end='2026-03-07T04:00Z')
    # w1: 3 hours x (0.36 + 4.00 + 1 kWh x 1.5 x 0.05 night price)
    assert per_instance.loc['w1', 'hours'] == 3
    assert per_instance.loc['w1', 'cost'] == pytest.approx(
        3 * (0.36 + 4.0 + 0.075))
    assert per_instance.loc['w1', 'energy'] == pytest.approx(3 * 0.075)
    # w2: 3 hours x (0.18 compute + 1.00 NPU), half the NPU idle
    assert per_instance.loc['w2', 'cost'] == pytest.approx(3 * 1.18)
    assert per_instance.loc['w2', 'idle_cost'] == pytest.approx(3 * 0.5)
    per_project = realtime.totals(costs, 'project_id',
                                  start='2026-03-07T01:00Z',
                                  end='2026-03-07T04:00Z')
    # w3 (p1) is there only at 02:00: 1 vCPU x 0.05 + 2 GB x 0.01
    assert per_project.loc['p1', 'cost'] == pytest.approx(
        per_instance.loc['w1', 'cost'] + 0.07)
    assert per_project.loc['p2', 'cost'] == pytest.approx(3 * 1.18)
    everything = realtime.totals(costs, 'project_id')
    assert everything['hours'].sum() == 13
    assert everything['cost'].sum() == pytest.approx(
        costs['cost_per_hour'].sum())


def test_records_carry_decimal_money_rounded_once():
    costs = _two_workload_costs()
    record = realtime.to_records(costs)[0]
    assert record['currency'] == 'EUR'
    assert set(record['breakdown']) == set(realtime.LINES)
    assert record['breakdown']['energy'] == decimal.Decimal('0.075000')
    assert record['cost_per_hour'] == decimal.Decimal('4.435000')
    assert record['energy']['tariff_per_kwh'] == decimal.Decimal('0.050000')
    total = realtime.totals_to_records(realtime.totals(costs, 'project_id'))
    p1 = next(t for t in total if t['project_id'] == 'p1')
    assert p1['cost'] == decimal.Decimal('26.680000')   # 6 x 4.435 + 0.07
    assert isinstance(p1['breakdown']['gpu'], decimal.Decimal)


def test_power_is_estimated_from_utilisation_where_not_measured():
    # 2 A100 at 50 % for an hour, no power series: the A100 curve
    # (idle 60 W, busy 240 W here) gives 2 x 150 W = 0.3 kWh, estimated.
    stamps = pd.date_range('2026-03-07T10:00Z', periods=12, freq='5min')
    usage = cards.usage([('w1', t, 'gpu_utilization', 50.0)
                         for t in stamps])
    costs = realtime.compute_costs(cards.workloads(TRAINER), usage,
                                   cards.card(),
                                   power_curves={'a100': (60.0, 240.0)})
    row = costs.iloc[0]
    assert row['energy_kwh'] == pytest.approx(0.3)
    assert row['estimated_kwh'] == pytest.approx(0.3)
    assert row['power_estimate'] == 'utilization_curve'
    assert row['energy'] == pytest.approx(0.3 * 0.10 * 1.5)


def test_rate_card_power_is_the_fallback_without_a_curve():
    # No curve for the model: the card's power_watts (A100: 400 W) for
    # each GPU, at the instants the workload was seen.
    stamps = pd.date_range('2026-03-07T10:00Z', periods=4, freq='15min')
    usage = cards.usage([('w1', t, 'cpu_utilization', 20.0)
                         for t in stamps])
    costs = realtime.compute_costs(cards.workloads(TRAINER), usage,
                                   cards.card(), power_curves={})
    row = costs.iloc[0]
    assert row['energy_kwh'] == pytest.approx(0.8)
    assert row['estimated_kwh'] == pytest.approx(0.8)
    assert row['power_estimate'] == 'rate_card_power_watts'
    # A measured series always wins.
    usage = pd.concat([usage, cards.usage(
        [('w1', t, 'accelerator_power_watts', 100.0) for t in stamps])])
    costs = realtime.compute_costs(cards.workloads(TRAINER), usage,
                                   cards.card(), power_curves={})
    assert costs['energy_kwh'].iloc[0] == pytest.approx(0.1)
    assert costs['estimated_kwh'].iloc[0] == 0.0
    assert costs['power_estimate'].isna().all()


def test_alibaba_l40s_pods_without_power_get_an_energy_line():
    """Alibaba GenAI serving pods (research terms, not shipped: read from
    the shared folder) report GPU duty cycle but no power; priced as L40S
    they were billed 0 kWh. Now each pod's GPU is billed the card's L40S
    ``power_watts`` (no curve is fitted for the L40S) over the time it was
    seen, flagged as estimated."""
    workloads, usage = wl_datasets.alibaba_serving(datasets.data_dir(),
                                                   max_pods=5)
    workloads = workloads.assign(accelerator='L40S', gpu_count=1,
                                 project_id='p1')
    card = realtime.ratecard.load_rate_card()
    costs = realtime.compute_costs(workloads, usage, card)
    per_pod = costs.groupby('workload_id')[['energy_kwh',
                                            'estimated_kwh']].sum()
    assert (per_pod['energy_kwh'] > 0).all()
    assert (per_pod['estimated_kwh'] == per_pod['energy_kwh']).all()
    assert set(costs['power_estimate']) == {'rate_card_power_watts'}
    # no more than 350 W for as long as each pod was observed
    seen = usage.groupby('workload_id')['timestamp'].agg(['min', 'max'])
    hours = (seen['max'] - seen['min']).dt.total_seconds() / 3600
    assert (per_pod['energy_kwh'] <= 0.35 * (hours + 0.1)).all()
    assert per_pod['energy_kwh'].sum() > 0.35 * 0.9 * hours.sum()
