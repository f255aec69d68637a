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
"""Nova flavors: learned from notifications, merged, cheapest that fits."""

import pandas as pd

from kcloud_analyzer.cost_model import flavors
from kcloud_analyzer.cost_model import ratecard
from tests.unit.cost_model import cards


def _row(cores, memory_gb, count=0, accelerator=None, flavor=None):
    return pd.Series({'cpu_cores': cores, 'memory_gb': memory_gb,
                      'accelerator_count': count, 'accelerator': accelerator,
                      'flavor': flavor})


def test_learned_flavors_skip_incomplete_records():
    learned = flavors.learned_flavors([
        {'name': 'a', 'cpu_cores': 2, 'memory_mb': 2048},
        {'name': 'b', 'cpu_cores': 4, 'memory_gb': 8, 'gpu_count': 1,
         'accelerator': 'A100'},
        {'name': 'c', 'cpu_cores': 0, 'memory_mb': 2048},
        {'name': None, 'cpu_cores': 2, 'memory_mb': 2048},
    ])
    assert [f.name for f in learned] == ['a', 'b']
    assert learned[1].ram_mb == 8192
    assert (learned[1].accelerator, learned[1].accelerator_count) == (
        'A100', 1)
    assert learned[0].accelerator is None


def test_the_card_wins_over_a_learned_flavor_of_the_same_name():
    card = cards.card()
    mine = ratecard.Flavor(name='m1.small', vcpus=64, ram_mb=1024)
    extra = ratecard.Flavor(name='tiny', vcpus=1, ram_mb=512)
    merged = flavors.merge_flavors(card, [mine, extra])
    by_name = {f.name: f for f in merged}
    assert by_name['m1.small'].vcpus == 2
    assert merged[-1] is extra


def test_cheapest_fitting_flavor_keeps_the_accelerators():
    card = cards.card()
    listed = flavors.merge_flavors(card)
    flavor, price = flavors.fitting_flavor(listed, card, _row(16, 64), 3, 5)
    assert flavor.accelerator_count == 0
    assert flavor.vcpus >= 3 and flavor.ram_gb >= 5
    assert price == min(card.flavor_hour(f) for f in listed
                        if f.accelerator_count == 0 and f.vcpus >= 3 and
                        f.ram_gb >= 5)
    gpu, _ = flavors.fitting_flavor(listed, card,
                                    _row(8, 64, 1, 'A100'), 1, 1)
    assert card.accelerator(gpu.accelerator) is card.accelerator('A100')
    assert flavors.fitting_flavor(listed, card, _row(16, 64), 999, 1) == (
        None, None)


def test_current_price_is_the_flavor_or_the_unit_prices():
    card = cards.card()
    by_name = {f.name: f for f in card.flavors}
    assert flavors.current_price(_row(4, 20, flavor='c1.medium'), card,
                                 by_name) == card.flavor_hour(
                                     by_name['c1.medium'])
    assert flavors.current_price(_row(2, 4), card, by_name) == (
        2 * float(card.vcpu_hour) + 4 * float(card.ram_gb_hour))


def test_needed_resources_at_target_utilisation():
    stats = pd.DataFrame({'cpu_cores': [16.0, 4.0], 'memory_gb': [64.0, 8.0],
                          'cpu_p95': [10.0, 90.0],
                          'memory_p95': [20.0, 90.0]}, index=['a', 'b'])
    cores, memory = flavors.needed(stats, 40.0, 70.0, 50.0, 80.0)
    assert cores['a'] == 16 * 10 / 70 and memory['a'] == 64 * 20 / 80
    assert (cores['b'], memory['b']) == (4.0, 8.0)
