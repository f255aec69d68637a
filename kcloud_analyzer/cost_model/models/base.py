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
"""The base of the cost prediction plugins (``kcloud_analyzer.cost_models``).

A plugin predicts the cost per hour of workloads described by their
characteristics (the seed's ``resources`` and ``usage_pattern``) and, from
an expected duration, the total, with an interval.

The request frame has one row per workload and the columns ``type``,
``cpu_cores``, ``memory_gb``, ``gpu_count``, ``npu_count``, ``accelerator``
and, optionally, the utilisation percentages ``cpu_utilization``,
``memory_utilization``, ``gpu_utilization``, ``npu_utilization`` and the
measured ``storage_gb`` and ``network_tx_bytes_per_s``. A missing
utilisation is taken as 100 %.
"""

import abc
import json
import os

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics
from kcloud_analyzer.cost_model import ratecard

#: share of outcomes the predicted interval is meant to hold
INTERVAL_LEVEL = 0.8

REQUEST_COLUMNS = ('type', 'cpu_cores', 'memory_gb', 'gpu_count',
                   'npu_count', 'accelerator')
OPTIONAL_COLUMNS = (metrics.CPU_UTILIZATION, metrics.MEMORY_UTILIZATION,
                    metrics.GPU_UTILIZATION, metrics.NPU_UTILIZATION,
                    metrics.STORAGE_GB, metrics.NETWORK_TX_BYTES_PER_S)


class ModelNotTrained(RuntimeError):
    """The plugin needs a trained model and none is loaded."""


def normalise_requests(requests):
    """A request frame with every optional column present (NaN if absent)."""
    frame = pd.DataFrame(requests).reset_index(drop=True)
    missing = [c for c in REQUEST_COLUMNS if c not in frame]
    if missing:
        raise ValueError('missing workload characteristic(s): '
                         + ', '.join(missing))
    for column in OPTIONAL_COLUMNS:
        if column not in frame:
            frame[column] = np.nan
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    for column in ('cpu_cores', 'memory_gb', 'gpu_count', 'npu_count'):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    return frame


class CostModel(metaclass=abc.ABCMeta):
    """A cost prediction plugin; ``conf`` is the service configuration."""

    #: the plugin's name in the kcloud_analyzer.cost_models namespace
    name = None
    #: whether the plugin learns from history (and so has versions to keep)
    trainable = False

    def __init__(self, conf, card=None):
        self.conf = conf
        self._card = card
        self.version = None

    @property
    def card(self):
        if self._card is None:
            self._card = ratecard.load_rate_card(
                self.conf.cost_model.rate_card_file)
        return self._card

    def fit(self, workloads, usage, costs):
        """Fit on history; return fit statistics (a JSON-ready dict).

        Plugins that need no training return an empty dict.
        """
        return {}

    @abc.abstractmethod
    def predict_hourly(self, requests):
        """Point, lower and upper cost per hour (float arrays).

        :param requests: frame from :func:`normalise_requests`.
        """

    def predict(self, requests, duration_hours):
        """Predicted cost per hour and total for each request.

        The interval of the total is the hourly interval times the
        duration: the error of a prediction comes mostly from the workload
        itself, so it persists over the hours instead of averaging out.

        :returns: list of dicts with Decimal money: ``cost_per_hour``,
            ``total``, ``interval`` (``level``, ``cost_per_hour`` and
            ``total`` as [lower, upper]), ``currency``, ``model``,
            ``version`` and ``duration_hours``.
        """
        if not duration_hours > 0:
            raise ValueError('duration_hours must be positive')
        point, lower, upper = self.predict_hourly(
            normalise_requests(requests))
        money = ratecard.to_money
        return [{
            'model': self.name,
            'version': self.version,
            'currency': self.card.currency,
            'duration_hours': float(duration_hours),
            'cost_per_hour': money(p),
            'total': money(p * duration_hours),
            'interval': {
                'level': INTERVAL_LEVEL,
                'cost_per_hour': [money(lo), money(hi)],
                'total': [money(lo * duration_hours),
                          money(hi * duration_hours)],
            },
        } for p, lo, hi in zip(point, lower, upper, strict=True)]

    def to_dict(self):
        """JSON-ready parameters of a trained model."""
        raise ModelNotTrained(f'{self.name} has nothing to save')

    def from_dict(self, data):
        raise ModelNotTrained(f'{self.name} has nothing to load')

    def save(self, path):
        """Write the parameters as JSON (never a pickle) to ``path``."""
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        with open(path, 'w', encoding='utf-8') as stream:
            json.dump(self.to_dict(), stream, indent=1, sort_keys=True)

    def load(self, path):
        with open(path, encoding='utf-8') as stream:
            self.from_dict(json.load(stream))
        return self
