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

import decimal

import numpy as np
import pandas as pd
import pytest
import yaml

from kcloud_analyzer.cost_model import ratecard
from tests.unit.cost_model import cards


def test_packaged_card_is_valid_and_names_the_example_models():
    card = ratecard.load_rate_card()
    assert card.currency == 'USD'
    for model in ('A100', 'H100', 'L40S', 'RBLN-CA12', 'RNGD',
                  'Ascend-910B'):
        assert card.accelerator(model.lower()).model == model
    assert {a.kind for a in card.accelerators.values()} == {'gpu', 'npu'}
    assert card.pue >= 1.0


def test_prices_are_exact_decimals():
    card = cards.card()
    assert card.vcpu_hour == decimal.Decimal('0.05')
    assert card.accelerator('a100').hour == decimal.Decimal('2.00')
    assert card.accelerator('A100').partitions[0].hour == (
        decimal.Decimal('0.90'))


@pytest.mark.parametrize('mutate, path', [
    (lambda d: d['accelerators']['A100'].update(hour='-1'),
     'accelerators.A100.hour'),
    (lambda d: d['accelerators']['A100'].update(kind='tpu'),
     'accelerators.A100.kind'),
    (lambda d: d['electricity']['periods'][0].update(start='25:00'),
     'electricity.periods.0.start'),
    (lambda d: d['electricity'].update(pue=0.8), 'electricity.pue'),
    (lambda d: d['electricity'].update(pue=float('nan')),
     'electricity.pue'),
    (lambda d: d.update(currency='euro'), 'currency'),
    (lambda d: d['compute'].pop('vcpu_hour'), 'compute'),
    (lambda d: d['storage'].update(gb_mnth='1'), 'storage'),
    (lambda d: d.update(overrides=[{'project_id': 'p', 'start': 'soon'}]),
     'overrides.0.start'),
])
def test_bad_field_is_refused_with_its_path(mutate, path):
    doc = cards.document()
    mutate(doc)
    with pytest.raises(ratecard.RateCardError) as raised:
        ratecard.parse_rate_card(doc)
    assert raised.value.path == path
    assert path in str(raised.value)


def test_override_must_end_after_it_starts():
    with pytest.raises(ratecard.RateCardError) as raised:
        cards.card(overrides=[{'project_id': 'p', 'start': '2026-03-02',
                               'end': '2026-03-01'}])
    assert raised.value.path == 'overrides.0.end'


def test_override_of_an_unknown_model_is_refused():
    with pytest.raises(ratecard.RateCardError) as raised:
        cards.card(overrides=[{'project_id': 'p', 'start': '2026-03-02',
                               'accelerators': {'B200': {'hour': '1'}}}])
    assert raised.value.path == 'overrides.0.accelerators.B200'


def test_unknown_time_zone_is_refused():
    doc = cards.document()
    doc['electricity']['timezone'] = 'Mars/Olympus'
    with pytest.raises(ratecard.RateCardError) as raised:
        ratecard.parse_rate_card(doc)
    assert raised.value.path == 'electricity.timezone'


def test_override_dates_from_yaml_are_utc_timestamps(tmp_path):
    doc = cards.document()
    text = yaml.safe_dump(doc).replace(
        'overrides: []',
        'overrides:\n- project_id: p1\n  start: 2026-03-02 12:00:00\n'
        '  end: 2026-03-03T00:00:00+01:00\n'
        '  compute: {vcpu_hour: "0.01"}\n')
    path = tmp_path / 'card.yaml'
    path.write_text(text)
    card = ratecard.load_rate_card(str(path))
    override = card.overrides[0]
    assert override.start == pd.Timestamp('2026-03-02T12:00:00Z')
    assert override.end == pd.Timestamp('2026-03-02T23:00:00Z')
    assert override.vcpu_hour == decimal.Decimal('0.01')


def test_unreadable_file_is_a_rate_card_error(tmp_path):
    with pytest.raises(ratecard.RateCardError, match='cannot read'):
        ratecard.load_rate_card(str(tmp_path / 'absent.yaml'))
    bad = tmp_path / 'list.yaml'
    bad.write_text('- 1\n- 2\n')
    with pytest.raises(ratecard.RateCardError, match='mapping'):
        ratecard.load_rate_card(str(bad))


def test_minute_of_week_prices_follow_days_and_overnight_periods():
    prices = cards.card().minute_of_week_kwh()
    day = ratecard.MINUTES_PER_DAY

    def at(weekday, hh, mm):
        return prices[weekday * day + hh * 60 + mm]

    assert at(0, 7, 29) == 0.10       # Monday before the peak
    assert at(0, 7, 30) == 0.30       # Monday peak starts
    assert at(0, 19, 59) == 0.30
    assert at(0, 20, 0) == 0.10
    assert at(5, 12, 0) == 0.10       # Saturday: no peak
    assert at(5, 23, 30) == 0.05      # night period, every day
    assert at(6, 3, 0) == 0.05        # ... through midnight
    assert at(0, 5, 59) == 0.05       # Sunday night spills into Monday
    assert at(0, 6, 0) == 0.10
    assert prices.shape == (7 * day,)
    assert np.isclose(cards.card().cheapest_kwh(), 0.05)


def test_first_listed_period_wins_where_periods_overlap():
    doc = cards.document()
    doc['electricity']['periods'].append(
        {'name': 'promo', 'start': '10:00', 'end': '11:00', 'kwh': '0.01'})
    prices = ratecard.parse_rate_card(doc).minute_of_week_kwh()
    assert prices[10 * 60 + 30] == 0.30        # Monday: peak listed first
    assert prices[5 * 1440 + 10 * 60 + 30] == 0.01  # Saturday: promo


def test_money_is_rounded_half_even_to_six_places():
    assert ratecard.to_money(1.0000015) == decimal.Decimal('1.000002')
    assert ratecard.to_money(0.0000025) == decimal.Decimal('0.000002')
    assert ratecard.to_money(5.27) == decimal.Decimal('5.270000')
    assert str(ratecard.to_money(0.1 + 0.2)) == '0.300000'


def test_flavors_are_priced_by_their_own_price_or_the_unit_prices():
    card = cards.card()
    flavors = {f.name: f for f in card.flavors}
    assert flavors['m1.medium'].ram_gb == 16.0
    # 4 x 0.05 + 16 x 0.01
    assert card.flavor_hour(flavors['m1.medium']) == pytest.approx(0.36)
    assert card.flavor_hour(flavors['c1.medium']) == pytest.approx(0.30)
    # + one A100 at 2.00
    assert card.flavor_hour(flavors['g1.a100']) == pytest.approx(2.36)
    learned = ratecard.Flavor('x', 2, 2048, accelerator='TPU',
                              accelerator_count=1)
    assert card.flavor_hour(learned) is None


@pytest.mark.parametrize('flavor, path', [
    ({'name': 'g', 'vcpus': 2, 'ram_mb': 1024, 'accelerator_count': 1},
     'flavors.0.accelerator'),
    ({'name': 'g', 'vcpus': 0, 'ram_mb': 1024}, 'flavors.0.vcpus'),
    ({'name': 'g', 'vcpus': 2}, 'flavors.0'),
])
def test_a_bad_flavor_is_refused_with_its_path(flavor, path):
    with pytest.raises(ratecard.RateCardError) as caught:
        cards.card(flavors=[flavor])
    assert caught.value.path == path


def test_two_flavors_of_one_name_are_refused():
    twice = [{'name': 'm1', 'vcpus': 1, 'ram_mb': 512}] * 2
    with pytest.raises(ratecard.RateCardError, match='same name'):
        cards.card(flavors=twice)
