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
"""Power-cap curves from the Zeus measurements and the advice built on them."""

import importlib.util
import pathlib

import pandas as pd
import pytest
import yaml

from kcloud_analyzer.common import datasets
from kcloud_analyzer.cost_model import power_cap
from kcloud_analyzer.cost_model import realtime
from kcloud_analyzer.cost_model import recommendations
from tests.unit.cost_model import cards

MONTH = 730.0
_TOOL = (pathlib.Path(__file__).parents[3] / 'tools' / 'eval' /
         'power_cap_curves.py')


def _tool():
    spec = importlib.util.spec_from_file_location('power_cap_curves', _TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_curves_are_those_the_zeus_measurements_give():
    built = _tool().build(datasets.data_dir())
    shipped = yaml.safe_load(power_cap.curves_path().read_text())
    assert built == shipped


def test_a40_curve_read_from_the_measurements():
    a40 = power_cap.curve_for('a40')
    assert a40.max_power_limit_w == 300
    by_fraction = {p.fraction: p for p in a40.points}
    # 175 W of 300: 7.6 % slower, 16.1 % less energy (median of 47
    # configurations); the highest limit is the reference
    assert by_fraction[0.5833].slowdown == pytest.approx(1.0762)
    assert by_fraction[0.5833].energy_ratio == pytest.approx(0.8391)
    assert by_fraction[1.0].energy_ratio == 1.0
    # redone by hand from the summary for one configuration
    frame = pd.read_csv(datasets.data_dir() / 'zeus_gpu_power_profiles' /
                        'summary_power_a40.csv')
    one = frame[(frame['network'] == 'shufflenetv2') &
                (frame['batch_size'] == 1024) &
                (frame['optimizer'] == 'adadelta')].set_index('power_limit')
    energy = one['average_power'] * one['time_per_epoch']
    assert energy[175] / energy[300] < 1.0
    assert power_cap.curve_for('H100').name == power_cap.POOLED


def test_best_cap_stays_within_the_slowdown_bound():
    a40 = power_cap.curve_for('A40')
    best = power_cap.best_cap(a40)
    assert best.fraction == 0.5833
    assert best.slowdown <= 1.10
    # a tighter bound picks a milder limit
    mild = power_cap.best_cap(a40, max_slowdown=0.02)
    assert mild.slowdown <= 1.02 and mild.fraction > best.fraction
    # when the host draws most of the energy, longer runs cost more than
    # the GPU saves: no limit
    assert power_cap.best_cap(a40, share=0.1) is None


def test_power_cap_advice_for_a_measured_a40_training_job():
    fleet = cards.workloads(('zeus', 'training', 8, 64, 1, 0, 'A40', 'p1'))
    card = cards.card(accelerators=dict(
        cards.BASE['accelerators'],
        A40={'kind': 'gpu', 'hour': '1.00', 'power_watts': 300}))
    stamps = pd.date_range(cards.MONDAY, periods=72, freq='h')
    # the board power Zeus measured for shufflenetv2 on cifar100 at 300 W
    usage = cards.usage(
        [('zeus', t, 'accelerator_power_watts', 276.9) for t in stamps] +
        [('zeus', t, 'gpu_utilization', 97) for t in stamps])
    costs = realtime.compute_costs(fleet, usage, card)
    found = {f['kind']: f for f in recommendations.recommend(
        fleet, usage, costs, card)}
    cap = found['power_cap']
    e = cap['evidence']
    assert e['curve'] == 'A40'
    assert e['power_limit_w'] == 175
    assert e['accelerator_energy_share'] == 1.0
    assert cap['action'].startswith('cap the 1 A40 at 175 W')
    spend = costs['energy'].sum()
    assert float(cap['monthly_saving']) == pytest.approx(
        spend / 72 * MONTH * (1 - 0.8391), abs=1e-5)
    assert cap['confidence'] > 0.9
    # an unsure class gets no training advice
    fleet['type_confidence'] = 0.5
    assert 'power_cap' not in {f['kind'] for f in recommendations.recommend(
        fleet, usage, costs, card)}
