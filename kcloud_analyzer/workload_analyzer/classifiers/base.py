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
"""Base of the workload classifier plugins (``kcloud_analyzer.classifiers``).

A plugin is built with the service's ``conf`` and classifies a feature
frame (:data:`kcloud_analyzer.workload_analyzer.features.FEATURES`, one
row per workload, NaN where unknown) into training, inference or serving.
"""

import abc

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics

CLASSES = metrics.WORKLOAD_TYPES

#: How many features are named as the reasons of each decision.
DECIDING_FEATURES = 3


class ModelUnavailable(RuntimeError):
    """A plugin's trained model is missing or cannot be loaded safely."""


class WorkloadClassifier(abc.ABC):
    """A workload classifier plugin."""

    #: the plugin's name in the ``kcloud_analyzer.classifiers`` namespace
    name = None

    def __init__(self, conf):
        self.conf = conf

    @abc.abstractmethod
    def predict(self, features):
        """Classify every row of ``features``.

        :param features: DataFrame indexed by workload_id with (at least)
            the columns of :data:`~kcloud_analyzer.workload_analyzer.
            features.FEATURES`.
        :returns: DataFrame on the same index with ``workload_class`` (one
            of :data:`CLASSES`), ``confidence`` (0-1) and
            ``deciding_features`` (a list of feature names, strongest
            first).
        """


def prediction_frame(index, classes, confidence, deciding):
    """Assemble the frame :meth:`WorkloadClassifier.predict` returns.

    :param deciding: ``(rows, k)`` array of feature names, None where fewer
        than ``k`` features decided.
    """
    deciding_lists = [[name for name in row if name is not None]
                      for row in np.asarray(deciding, dtype=object).tolist()]
    return pd.DataFrame({
        'workload_class': np.asarray(classes, dtype=object),
        'confidence': np.asarray(confidence, dtype=float),
        'deciding_features': pd.Series(deciding_lists, index=index,
                                       dtype=object).to_numpy(),
    }, index=index)


def top_features(scores, names, k=DECIDING_FEATURES):
    """Names of the ``k`` highest positive scores of each row.

    :param scores: ``(rows, features)``; zero or NaN means "did not count".
    """
    scores = np.nan_to_num(np.asarray(scores, dtype=float), nan=0.0)
    k = min(k, scores.shape[1])
    order = np.argsort(-scores, axis=1, kind='stable')[:, :k]
    chosen = np.take_along_axis(scores, order, axis=1)
    labels = np.asarray(names, dtype=object)[order]
    return np.where(chosen > 0, labels, None)
