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
"""Calibrated class probabilities, abstention and calibration error.

A classifier's raw probabilities are turned into an answer in four steps,
all vectorised over workloads:

1. **Temperature** (:func:`fit_temperature`): the telemetry model's
   probabilities are flattened, ``p ** (1 / T)`` renormalised, with the
   one ``T`` that minimises the log loss of its predictions on sources it
   was not trained on (leave-one-source-out). A forest is over-confident
   on a source it never saw; ``T > 1`` says so. ``T`` is never below 1:
   held-out sources that happen to be easy must not make the model surer
   than the forest itself on a harder one.
2. **Little seen** (:func:`shrink`): the telemetry counts in proportion
   ``n / (n + HALF_EVIDENCE_SAMPLES)`` of the samples seen; the rest of
   the mass is spread evenly, so that a workload seen for a few samples
   gets a confidence that says how little was seen.
3. **Cloud records** (:func:`combine`): the log-odds of the cloud's own
   records (:mod:`.evidence`) are added to the log-probabilities.
4. **Abstention** (:func:`decide`): below :data:`ABSTAIN_BELOW` the answer
   is ``unknown``, with the reason; there is never a default class.
"""

import numpy as np
from scipy import optimize

from kcloud_analyzer.common import metrics

CLASSES = metrics.WORKLOAD_TYPES
UNKNOWN = 'unknown'

#: Calibrated probability below which the answer is ``unknown``, the
#: default of the ``rules`` classifier; the forest stores the threshold
#: chosen on held-out sources when it is trained
#: (:func:`.evaluation.choose_threshold`). On the real sources of
#: ``tools/eval/classifier_eval.py`` a wrong class with a confidence of
#: 0.8 or more is given to 3.1 % of the jobs at 0.6, nearly all of them
#: batch generation called training (see doc/source/user/
#: workload-analysis.rst); the threshold does not change that share.
ABSTAIN_BELOW = 0.6

#: Samples at which the telemetry counts for half its weight.
HALF_EVIDENCE_SAMPLES = 5.0

#: Fewer samples than this are named in the reason of an ``unknown``.
FEW_SAMPLES = 10

_EPSILON = 1e-6


def _normalise(values):
    total = values.sum(axis=1, keepdims=True)
    return np.where(total > 0, values / np.where(total > 0, total, 1.0),
                    1.0 / values.shape[1])


def apply_temperature(probabilities, temperature):
    """``p ** (1 / T)``, renormalised per row."""
    logs = np.log(np.clip(np.asarray(probabilities, dtype=float),
                          _EPSILON, 1.0)) / float(temperature)
    logs -= logs.max(axis=1, keepdims=True)
    return _normalise(np.exp(logs))


def log_loss(probabilities, truth_index):
    rows = np.arange(len(truth_index))
    return float(-np.mean(np.log(np.clip(
        probabilities[rows, truth_index], _EPSILON, 1.0))))


def fit_temperature(probabilities, truth_index, bounds=(1.0, 20.0)):
    """The temperature that minimises the log loss of held-out rows.

    :param probabilities: ``(rows, classes)`` out-of-source probabilities.
    :param truth_index: the true class's column of each row.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    truth_index = np.asarray(truth_index, dtype=int)
    if len(truth_index) == 0:
        return 1.0
    # Search log T so that sharpening and flattening are symmetric.
    result = optimize.minimize_scalar(
        lambda log_t: log_loss(apply_temperature(probabilities,
                                                 np.exp(log_t)),
                               truth_index),
        bounds=np.log(bounds), method='bounded')
    return float(np.exp(result.x))


def shrink(probabilities, samples, half=HALF_EVIDENCE_SAMPLES):
    """Weigh the telemetry by how much of it was seen.

    :param samples: samples seen per workload (0 gives the uniform row).
    """
    samples = np.nan_to_num(np.asarray(samples, dtype=float), nan=0.0)
    weight = (samples / (samples + half))[:, None]
    k = probabilities.shape[1]
    return weight * probabilities + (1.0 - weight) / k


def combine(probabilities, log_odds):
    """Add the records' log-odds (``(rows, classes)``) to the telemetry."""
    logs = np.log(np.clip(probabilities, _EPSILON, 1.0)) + np.nan_to_num(
        np.asarray(log_odds, dtype=float))
    logs -= logs.max(axis=1, keepdims=True)
    return _normalise(np.exp(logs))


def decide(probabilities, classes=CLASSES, threshold=ABSTAIN_BELOW):
    """The class and confidence of each row, ``unknown`` below threshold.

    :returns: ``(labels, confidence, abstained)``; the confidence of an
        ``unknown`` is the probability of the class it did not dare name.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    winner = np.argmax(probabilities, axis=1)
    confidence = probabilities[np.arange(len(winner)), winner]
    abstained = confidence < threshold
    labels = np.where(abstained, UNKNOWN,
                      np.asarray(classes, dtype=object)[winner])
    return labels.astype(object), confidence, abstained


def unknown_reasons(probabilities, abstained, samples, only_utilisation,
                    has_records, classes=CLASSES):
    """Why each abstained row is ``unknown`` (None for the others).

    :param samples: samples seen per row.
    :param only_utilisation: True where accelerator utilisation is the only
        telemetry that says anything about the class.
    :param has_records: True where some cloud record counted.
    """
    classes = list(classes)
    order = np.argsort(-probabilities, axis=1)
    reasons = np.full(len(probabilities), None, dtype=object)
    samples = np.nan_to_num(np.asarray(samples, dtype=float))
    training, inference = classes.index('training'), classes.index(
        'inference')
    for row in np.flatnonzero(abstained):
        first, second = order[row, 0], order[row, 1]
        if samples[row] == 0 and not has_records[row]:
            reasons[row] = 'no telemetry and no cloud records seen'
        elif samples[row] < FEW_SAMPLES:
            reasons[row] = (f'only {int(samples[row])} samples seen; too '
                            'little to tell the class')
        elif only_utilisation[row] and {first, second} == {training,
                                                           inference}:
            reasons[row] = ('only GPU utilisation seen; training and batch '
                            'inference look alike')
        else:
            reasons[row] = (
                f'evidence too weak: {classes[first]} '
                f'{probabilities[row, first]:.2f}, {classes[second]} '
                f'{probabilities[row, second]:.2f}')
    return reasons


def expected_calibration_error(confidence, correct, bins=10):
    """Expected calibration error over equal-width confidence bins.

    The mean, weighted by the rows in each bin, of the gap between the
    bin's mean confidence and its accuracy.
    """
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if len(confidence) == 0:
        return float('nan')
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    confidence_sum = np.bincount(which, confidence, minlength=bins)
    correct_sum = np.bincount(which, correct, minlength=bins)
    gap = np.abs(confidence_sum - correct_sum)
    return float(gap.sum() / len(confidence))
