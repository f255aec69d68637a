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

import pandas as pd
import pytest

from kcloud_analyzer.cost_model.models import rate_card
from tests.unit.cost_model import cards


def _request(**values):
    row = {'type': 'training', 'cpu_cores': 4, 'memory_gb': 16,
           'gpu_count': 1, 'npu_count': 0, 'accelerator': 'A100'}
    row.update(values)
    return pd.DataFrame([row])


def test_cost_per_hour_and_total_from_the_card():
    model = rate_card.RateCardModel(None, card=cards.card())
    [prediction] = model.predict(_request(gpu_utilization=50), 10)
    # Mean price of the test card's week: 62.5 h of peak at 0.30, 49 h of
    # night at 0.05 and 56.5 h at 0.10 -> 26.85 / 168 per kWh.
    energy = 0.400 * 0.5 * 1.5 * 26.85 / 168
    hourly = 4 * 0.05 + 16 * 0.01 + 2.00 + energy
    assert float(prediction['cost_per_hour']) == pytest.approx(hourly,
                                                               abs=1e-6)
    assert float(prediction['total']) == pytest.approx(10 * hourly,
                                                       abs=1e-5)
    assert prediction['interval']['cost_per_hour'] == [
        prediction['cost_per_hour']] * 2
    assert prediction['model'] == 'rate_card'
    assert prediction['version'] == 3
    assert prediction['currency'] == 'EUR'
    assert isinstance(prediction['total'], decimal.Decimal)


def test_storage_and_network_are_priced_when_given():
    model = rate_card.RateCardModel(None, card=cards.card())
    plain = model.predict_hourly(rate_card.base.normalise_requests(
        _request(gpu_count=0, accelerator=None)))[0][0]
    busy = model.predict_hourly(rate_card.base.normalise_requests(
        _request(gpu_count=0, accelerator=None, storage_gb=100,
                 network_tx_bytes_per_s=1e6)))[0][0]
    assert busy - plain == pytest.approx(0.10 + 0.36)


def test_unknown_accelerator_and_bad_duration_are_refused():
    model = rate_card.RateCardModel(None, card=cards.card())
    with pytest.raises(ValueError, match='B200'):
        model.predict(_request(accelerator='B200'), 1)
    with pytest.raises(ValueError, match='duration'):
        model.predict(_request(), 0)
    with pytest.raises(ValueError, match='cpu_cores'):
        model.predict(pd.DataFrame([{'type': 'training'}]), 1)
