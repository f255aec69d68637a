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
"""``rate_card``: the cost per hour read straight from the rate card.

Deterministic, so its interval has no width. Compute, accelerators,
storage and network are priced as in
:mod:`kcloud_analyzer.cost_model.realtime`; energy, which has no
measurement yet, is estimated as the accelerators' ``power_watts`` from the
card x their utilisation x PUE x the mean electricity price of the week.
"""

import numpy as np

from kcloud_analyzer.common import metrics
from kcloud_analyzer.cost_model.models import base
from kcloud_analyzer.cost_model import ratecard


def accelerator_columns(requests, card):
    """Price per hour, board watts and kind of each request's accelerator.

    :raises ValueError: for accelerators that the card does not list.
    """
    count = (requests['gpu_count'] + requests['npu_count']).to_numpy()
    models = [card.accelerator(m) if isinstance(m, str) else None
              for m in requests['accelerator']]
    unknown = [requests['accelerator'].iloc[i]
               for i, m in enumerate(models) if m is None and count[i] > 0]
    if unknown:
        raise ValueError(f'accelerator {unknown[0]!r} is not in the rate '
                         f'card (known: {", ".join(card.accelerators)})')
    price = np.array([float(m.hour) if m else 0.0 for m in models])
    watts = np.array([float(m.power_watts or 0.0) if m else 0.0
                      for m in models])
    return count, price, watts, [m.kind if m else None for m in models]


def used_share(requests, column):
    share = requests[column].to_numpy(dtype=float) / 100.0
    return np.clip(np.where(np.isnan(share), 1.0, share), 0.0, 1.0)


class RateCardModel(base.CostModel):
    name = 'rate_card'

    @property
    def version(self):
        return self.card.version

    @version.setter
    def version(self, value):
        # The version is the card's; the base class initialiser sets None.
        pass

    def predict_hourly(self, requests):
        card = self.card
        count, price, watts, kinds = accelerator_columns(requests, card)
        util = np.where(np.array(kinds) == 'npu',
                        used_share(requests, metrics.NPU_UTILIZATION),
                        used_share(requests, metrics.GPU_UTILIZATION))
        mean_tariff = float(card.minute_of_week_kwh().mean())
        storage = np.nan_to_num(requests[metrics.STORAGE_GB].to_numpy())
        egress = np.nan_to_num(
            requests[metrics.NETWORK_TX_BYTES_PER_S].to_numpy())
        cost = (requests['cpu_cores'].to_numpy() * float(card.vcpu_hour) +
                requests['memory_gb'].to_numpy() * float(card.ram_gb_hour) +
                count * price +
                storage * float(card.storage_gb_month) /
                ratecard.HOURS_PER_MONTH +
                egress * 3600.0 / ratecard.BYTES_PER_GB *
                float(card.network_egress_gb) +
                count * watts / 1000.0 * util * card.pue * mean_tariff)
        return cost, cost.copy(), cost.copy()
