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
"""Leave-one-source-out evaluation and calibration of the classifier.

A source is one public collection of labelled runs (one lab, one cluster,
one logging setup). Every figure a real source gets comes from a model
trained without any of its workloads, so nothing of its collection setup
can be learnt; synthetic workloads may be added to the training side of
every fold but are never scored in the headline.

The temperature that calibrates the forest
(:func:`~.calibration.fit_temperature`) is fitted on out-of-source
predictions too: the one used to score source S on the held-out
predictions of the other sources, the one stored with the model on all
of them.
"""

import numpy as np
import pandas as pd
from sklearn import metrics as sk_metrics

from kcloud_analyzer.workload_analyzer import calibration
from kcloud_analyzer.workload_analyzer.classifiers import base
from kcloud_analyzer.workload_analyzer.classifiers import random_forest
from kcloud_analyzer.workload_analyzer import evidence
from kcloud_analyzer.workload_analyzer import features as features_lib
from kcloud_analyzer.workload_analyzer import series as series_lib

CLASSES = calibration.CLASSES

#: Wrong answers at or above this confidence are counted apart.
HIGH_CONFIDENCE = 0.8


class LabelledSet:
    """Features, labels, sources and cloud records of labelled workloads."""

    def __init__(self, features, labels, sources, records=None):
        self.features = features
        self.labels = np.asarray(labels, dtype=object).astype(str)
        self.sources = np.asarray(sources, dtype=object).astype(str)
        if records is None:
            records = pd.DataFrame(index=features.index)
        self.records = records

    def __len__(self):
        return len(self.features)

    def subset(self, mask):
        return LabelledSet(self.features[mask], self.labels[mask],
                           self.sources[mask], self.records[mask])

    @classmethod
    def concat(cls, parts):
        parts = [p for p in parts if p is not None and len(p)]
        return cls(pd.concat([p.features for p in parts]),
                   np.concatenate([p.labels for p in parts]),
                   np.concatenate([p.sources for p in parts]),
                   pd.concat([p.records for p in parts]))


def labelled(workloads, usage, source):
    """Features of labelled workloads (``type`` is the true class).

    Columns of :data:`~.evidence.RECORD_COLUMNS` other than ``type`` are
    kept as the workloads' cloud records; the true class never is.
    """
    series = series_lib.from_usage(series_lib.coarsen(usage),
                                   workloads['workload_id'])
    frame = features_lib.analyze(series, workloads)[2]
    indexed = workloads.set_index('workload_id').loc[frame.index]
    records = pd.DataFrame(
        {name: indexed[name].to_numpy() for name in evidence.RECORD_COLUMNS
         if name != 'type' and name in indexed}, index=frame.index)
    return LabelledSet(frame, indexed['type'].to_numpy(),
                       [source] * len(frame), records)


def _fit(training, seed, trees):
    return random_forest.fit(training.features, training.labels, seed=seed,
                             n_estimators=trees)


def out_of_source(real, augment=None, seed=0, trees=200):
    """Telemetry probabilities of every real workload, each from a model
    trained without its source (plus ``augment`` on every fold).

    :returns: ``(probabilities, deciding)`` in the rows of ``real``.
    """
    probabilities = np.full((len(real), len(CLASSES)), np.nan)
    deciding = np.full((len(real), base.DECIDING_FEATURES), None,
                       dtype=object)
    for source in np.unique(real.sources):
        held = real.sources == source
        training = LabelledSet.concat([real.subset(~held), augment])
        bundle = _fit(training, seed, trees)
        found, names = random_forest.probabilities(
            bundle, real.features[held])
        probabilities[held] = found
        deciding[held] = names
    return probabilities, deciding


def temperatures(real, probabilities):
    """Temperature per held-out source, fitted on the other sources, and
    the one fitted on all of them."""
    truth = np.array([CLASSES.index(label) for label in real.labels])
    per_source = {}
    for source in np.unique(real.sources):
        others = real.sources != source
        per_source[source] = calibration.fit_temperature(
            probabilities[others], truth[others])
    return per_source, calibration.fit_temperature(probabilities, truth)


#: Thresholds tried by :func:`choose_threshold`.
THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)

#: The most jobs that may get a wrong class with a confidence of 0.8 or
#: more.
MAX_CONFIDENT_WRONG = 0.02


def choose_threshold(real, probabilities, deciding, per_source_temperature):
    """The abstention threshold with the best held-out macro-F1 among
    those that keep confident wrong answers under
    :data:`MAX_CONFIDENT_WRONG` (the highest tried when none does)."""
    best = (None, THRESHOLDS[-1])
    for threshold in THRESHOLDS:
        scores = score(real.labels, answers(
            real, probabilities, deciding, per_source_temperature,
            abstain_below=threshold))
        if scores['confident_wrong_share'] > MAX_CONFIDENT_WRONG:
            continue
        if best[0] is None or scores['macro_f1'] > best[0]:
            best = (scores['macro_f1'], threshold)
    return best[1]


def answers(real, probabilities, deciding, per_source_temperature,
            use_records=False, abstain_below=calibration.ABSTAIN_BELOW):
    """The final answers for the rows of ``real`` (see :func:`base.finish`)."""
    frames, positions = [], []
    for source in np.unique(real.sources):
        held = real.sources == source
        frames.append(base.finish(
            real.features[held], probabilities[held], deciding[held],
            real.records[held] if use_records else None,
            per_source_temperature[source], abstain_below))
        positions.append(np.flatnonzero(held))
    # Back to the rows' order by position: ids may repeat across sources.
    order = np.argsort(np.concatenate(positions), kind='stable')
    return pd.concat(frames).iloc[order]


def score(truth, answer):
    """Scores with ``unknown`` a miss for recall but not an error.

    :param answer: frame from :func:`base.finish` on the same rows.
    """
    truth = np.asarray(truth, dtype=object).astype(str)
    predicted = answer['workload_class'].to_numpy(dtype=object).astype(str)
    confidence = answer['confidence'].to_numpy(dtype=float)
    probabilities = np.array([[row[c] for c in CLASSES]
                              for row in answer['probabilities']])
    top = np.asarray(CLASSES, dtype=object)[np.argmax(probabilities, axis=1)]
    precision, recall, f1, support = (
        sk_metrics.precision_recall_fscore_support(
            truth, predicted, labels=list(CLASSES), zero_division=0))
    present = support > 0
    answered = predicted != calibration.UNKNOWN
    wrong = answered & (predicted != truth)
    return {
        'workloads': int(len(truth)),
        'macro_f1': float(np.mean(f1[present])) if present.any() else None,
        'accuracy': float(np.mean(predicted == truth)),
        'unknown_share': float(np.mean(~answered)),
        'wrong_share': float(np.mean(wrong)),
        'confident_wrong_share': float(np.mean(
            wrong & (confidence >= HIGH_CONFIDENCE))),
        'ece': calibration.expected_calibration_error(
            confidence, top == truth),
        'per_class': {label: {'precision': float(precision[i]),
                              'recall': float(recall[i]),
                              'f1': float(f1[i]),
                              'workloads': int(support[i])}
                      for i, label in enumerate(CLASSES) if support[i]},
        'confusion': {label: {answer_label: int(np.sum(
            (truth == label) & (predicted == answer_label)))
            for answer_label in (*CLASSES, calibration.UNKNOWN)}
            for label in CLASSES if (truth == label).any()},
    }


def report(real, answer):
    """:func:`score` over all real workloads and per source."""
    result = {'all': score(real.labels, answer), 'per_source': {}}
    for source in np.unique(real.sources):
        held = real.sources == source
        result['per_source'][source] = score(real.labels[held],
                                             answer[held])
    return result


def format_report(result, title):
    """Plain-text tables of a :func:`report`."""
    lines = [title, '',
             f'  {"source":<20}{"jobs":>6}{"macro-F1":>10}{"accuracy":>10}'
             f'{"unknown":>9}{"wrong":>7}{"wrong>=0.8":>12}{"ECE":>7}']
    rows = list(result['per_source'].items()) + [('all', result['all'])]
    for source, scores in rows:
        lines.append(
            f'  {source:<20}{scores["workloads"]:>6}'
            f'{scores["macro_f1"]:>10.3f}{scores["accuracy"]:>10.3f}'
            f'{scores["unknown_share"]:>9.3f}{scores["wrong_share"]:>7.3f}'
            f'{scores["confident_wrong_share"]:>12.3f}'
            f'{scores["ece"]:>7.3f}')
    lines += ['', f'  {"true class":<12}{"source":<20}'
              + ''.join(f'{c:>11}' for c in (*CLASSES, 'unknown'))]
    for source, scores in rows:
        for label, row in scores['confusion'].items():
            lines.append(f'  {label:<12}{source:<20}' + ''.join(
                f'{row[c]:>11}' for c in (*CLASSES, 'unknown')))
    lines += ['', f'  {"class":<12}{"jobs":>6}{"precision":>11}'
              f'{"recall":>8}{"F1":>7}']
    for label, scores in result['all']['per_class'].items():
        lines.append(f'  {label:<12}{scores["workloads"]:>6}'
                     f'{scores["precision"]:>11.3f}{scores["recall"]:>8.3f}'
                     f'{scores["f1"]:>7.3f}')
    return '\n'.join(lines)
