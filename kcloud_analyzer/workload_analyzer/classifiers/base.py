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
row per workload, NaN where unknown) into training, inference or serving,
or ``unknown`` with the reason when the evidence is too weak.

Every plugin gives class probabilities from the telemetry;
:func:`finish` turns them into the answer the same way for all plugins:
temperature, weight by the samples seen, the cloud records' evidence, and
abstention (:mod:`kcloud_analyzer.workload_analyzer.calibration`).
"""

import abc

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics
from kcloud_analyzer.workload_analyzer import calibration
from kcloud_analyzer.workload_analyzer import evidence as evidence_lib

CLASSES = metrics.WORKLOAD_TYPES
UNKNOWN = calibration.UNKNOWN

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

    #: temperature fitted on held-out sources (1: as the plugin says)
    temperature = 1.0

    #: calibrated probability below which the answer is ``unknown``
    abstain_below = calibration.ABSTAIN_BELOW

    @abc.abstractmethod
    def probabilities(self, features):
        """Telemetry-only class probabilities and the deciding features.

        :returns: ``(probabilities, deciding)``: ``(rows, len(CLASSES))``
            in the order of :data:`CLASSES`, and a ``(rows, k)`` array of
            feature names (None where fewer decided).
        """

    def predict(self, features, records=None):
        """Classify every row of ``features``.

        :param features: DataFrame indexed by workload_id with (at least)
            the columns of :data:`~kcloud_analyzer.workload_analyzer.
            features.FEATURES` and ``CONTEXT``.
        :param records: optional DataFrame of the cloud's records, same
            row order (:data:`~kcloud_analyzer.workload_analyzer.evidence.
            RECORD_COLUMNS`).
        :returns: DataFrame on the same index with ``workload_class`` (one
            of :data:`CLASSES` or ``unknown``), ``confidence`` (0-1),
            ``deciding_features`` (feature names, strongest first),
            ``probabilities`` (class -> calibrated probability),
            ``evidence`` (the records that counted) and ``reason`` (why
            ``unknown``, else None).
        """
        probabilities, deciding = self.probabilities(features)
        return finish(features, probabilities, deciding, records,
                      self.temperature, self.abstain_below)


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


def finish(features, probabilities, deciding, records=None, temperature=1.0,
           abstain_below=calibration.ABSTAIN_BELOW):
    """From telemetry probabilities to the answer (see the module doc)."""
    rows = len(features)
    samples = (features['samples'].to_numpy(dtype=float)
               if 'samples' in features else np.full(rows, np.inf))
    only_utilisation = (features['only_utilisation'].to_numpy(dtype=float)
                        > 0 if 'only_utilisation' in features
                        else np.zeros(rows, dtype=bool))
    calibrated = calibration.apply_temperature(probabilities, temperature)
    calibrated = calibration.shrink(calibrated, np.where(
        np.isinf(samples), 1e12, samples))
    log_odds, evidence = evidence_lib.record_log_odds(records, rows)
    calibrated = calibration.combine(calibrated, log_odds)
    labels, confidence, abstained = calibration.decide(
        calibrated, CLASSES, abstain_below)
    reasons = calibration.unknown_reasons(
        calibrated, abstained, np.where(np.isinf(samples), 1e12, samples),
        only_utilisation, np.array([bool(e) for e in evidence]))
    frame = prediction_frame(features.index, labels, confidence, deciding)
    frame['probabilities'] = pd.Series(
        [dict(zip(CLASSES, map(float, row), strict=True))
         for row in calibrated], index=features.index, dtype=object
    ).to_numpy()
    frame['evidence'] = pd.Series(evidence, index=features.index,
                                  dtype=object).to_numpy()
    frame['reason'] = reasons
    return frame


def summary(classifier_name, decision):
    """What is stored and returned of one decision beside its class and
    confidence: the plugin, the deciding features, the calibrated
    probabilities, the records that counted and why ``unknown``."""
    return {
        'classifier': classifier_name,
        'deciding_features': [str(n) for n in decision['deciding_features']],
        'probabilities': {str(k): float(v)
                          for k, v in decision['probabilities'].items()},
        'evidence': [{k: (v if isinstance(v, (str, bool)) else str(v))
                      for k, v in item.items()}
                     for item in decision['evidence']],
        'reason': (decision['reason'] if isinstance(decision['reason'], str)
                   else None),
    }
