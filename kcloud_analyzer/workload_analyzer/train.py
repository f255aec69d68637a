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
"""Train and evaluate the random-forest workload classifier.

:func:`build_training_set` assembles the training set from the real
series of the shared data folder (labelled by source, see
:mod:`.datasets`) and the synthetic generator (:mod:`.synthetic`);
:func:`evaluate` scores the forest with grouped cross-validation (a pod, a
Zeus job or a synthetic workload is never in both the training and the
test folds) and :func:`format_report` prints it. The command
``kcloud-analyzer-train-classifier``
(:mod:`kcloud_analyzer.cmd.train_classifier`) and the agent's retraining
(:mod:`kcloud_analyzer.jobs.training`) store the model.
"""

import numpy as np
import pandas as pd
from sklearn import metrics as sk_metrics
from sklearn import model_selection

from kcloud_analyzer.workload_analyzer import calibration
from kcloud_analyzer.workload_analyzer.classifiers import random_forest
from kcloud_analyzer.workload_analyzer.classifiers import rules
from kcloud_analyzer.workload_analyzer import datasets
from kcloud_analyzer.workload_analyzer import evaluation
from kcloud_analyzer.workload_analyzer import features as features_lib
from kcloud_analyzer.workload_analyzer import series as series_lib
from kcloud_analyzer.workload_analyzer import synthetic

#: Synthetic workloads are made in batches sharing one time axis.
SYNTHETIC_BATCH = 100

#: The agent's rollup window (``[DEFAULT] rollup_window``) by default.
DEFAULT_ROLLUP_WINDOW_S = 300


class TrainingSet:
    """Features with their label, source and cross-validation group."""

    def __init__(self, features, labels, sources, groups):
        self.features = features
        self.labels = np.asarray(labels, dtype=object)
        self.sources = np.asarray(sources, dtype=object)
        self.groups = np.asarray(groups, dtype=object)

    def __len__(self):
        return len(self.features)

    def summary(self):
        table = pd.crosstab(self.sources, self.labels)
        return {source: {label: int(count) for label, count in row.items()
                         if count}
                for source, row in table.iterrows()}


#: workloads of a trace analysed together: the temporaries of a block of
#: long series (a Zeus training run) stay small, so that retraining the
#: classifier does not peak with the longest trace
ANALYSIS_ROWS = 100


def _analyze_usage(workloads, usage):
    series = series_lib.from_usage(series_lib.coarsen(usage),
                                   workloads['workload_id'])
    return features_lib.analyze_in_chunks(
        series, workloads, chunk_rows=ANALYSIS_ROWS, workers=1)[2]


def build_training_set(data_dir, rng, synthetic_per_class,
                       max_alibaba_pods=None, max_zeus_runs=None,
                       rollup_window_s=DEFAULT_ROLLUP_WINDOW_S):
    """Assemble the training set from real and synthetic series.

    Every other batch of synthetic workloads is averaged into windows of
    ``rollup_window_s`` like the agent's rollups, which are what it
    classifies, so that the model knows both the raw samples of offline
    analysis and the agent's window means.

    :param data_dir: the public trace folder, or None for synthetic
        series only.
    """
    parts = []
    if data_dir is not None:
        workloads, usage = datasets.alibaba_serving(
            data_dir, max_pods=max_alibaba_pods)
        frame = _analyze_usage(workloads, usage)
        parts.append((frame, 'serving', 'alibaba_genai',
                      'alibaba:' + frame.index.to_series().astype(str)))

        workloads, usage = datasets.migprofiler_runs(data_dir)
        frame = _analyze_usage(workloads, usage)
        parts.append((frame, workloads.set_index('workload_id').loc[
            frame.index, 'type'].to_numpy(), 'migprofiler',
            frame.index.to_numpy()))

        runs = datasets.zeus_training_runs(data_dir)
        if max_zeus_runs is not None:
            runs = runs.sample(n=min(max_zeus_runs, len(runs)),
                               random_state=int(rng.integers(2 ** 31)))
            runs = runs.reset_index(drop=True)
        workloads, usage = datasets.zeus_training_usage(runs, rng)
        frame = _analyze_usage(workloads, usage)
        parts.append((frame, 'training', 'zeus', runs['group'].to_numpy()))

    for workload_class in synthetic.CLASSES:
        remaining = synthetic_per_class
        batch = 0
        while remaining > 0:
            count = min(SYNTHETIC_BATCH, remaining)
            prefix = f'synthetic-{workload_class}-{batch}'
            series, workloads = synthetic.generate(count, workload_class,
                                                   rng, prefix=prefix)
            if rollup_window_s and batch % 2:
                series = series_lib.rollup(series, rollup_window_s)
            frame = features_lib.analyze(series, workloads)[2]
            parts.append((frame, workload_class, 'synthetic',
                          frame.index.to_numpy()))
            remaining -= count
            batch += 1

    frames = [part[0] for part in parts]
    return TrainingSet(
        features=pd.concat(frames),
        labels=np.concatenate([np.broadcast_to(np.asarray(p[1], dtype=object),
                                               len(p[0])) for p in parts]),
        sources=np.concatenate([[p[2]] * len(p[0]) for p in parts]),
        groups=np.concatenate([np.asarray(p[3], dtype=object)
                               for p in parts]))


def _scores(truth, predicted, sources):
    """Accuracy per source and precision/recall/F1 per class."""
    per_source = {}
    for source in sorted(set(sources)):
        mask = sources == source
        per_source[source] = {
            'workloads': int(mask.sum()),
            'accuracy': float(np.mean(truth[mask] == predicted[mask])),
            'per_class': {
                label: float(np.mean(predicted[mask & (truth == label)]
                                     == label))
                for label in synthetic.CLASSES
                if (mask & (truth == label)).any()},
        }
    labels = list(synthetic.CLASSES)
    precision, recall, f1, support = (
        sk_metrics.precision_recall_fscore_support(
            truth, predicted, labels=labels, zero_division=0))
    per_class = {label: {'precision': float(precision[i]),
                         'recall': float(recall[i]), 'f1': float(f1[i]),
                         'workloads': int(support[i])}
                 for i, label in enumerate(labels)}
    return {
        'accuracy': float(np.mean(truth == predicted)),
        'per_source': per_source,
        'per_class': per_class,
        'confusion': sk_metrics.confusion_matrix(
            truth, predicted, labels=labels).tolist(),
    }


def evaluate(training_set, folds, seed, trees):
    """Grouped cross-validation of the forest, and the rules for contrast.

    :returns: ``{'random_forest': scores, 'rules': scores}`` where the
        forest's predictions are out of fold.
    """
    features = training_set.features
    truth = training_set.labels.astype(str)
    predicted = np.empty(len(truth), dtype=object)
    splitter = model_selection.GroupKFold(n_splits=folds)
    for train_index, test_index in splitter.split(
            features, truth, groups=training_set.groups):
        bundle = random_forest.fit(features.iloc[train_index],
                                   truth[train_index], seed=seed,
                                   n_estimators=trees)
        predicted[test_index] = bundle['estimator'].predict(
            features.iloc[test_index][bundle['feature_names']].to_numpy(
                dtype=float))
    rules_probabilities = rules.RulesClassifier(conf=None).probabilities(
        features)[0]
    rules_predicted = np.asarray(synthetic.CLASSES, dtype=object)[
        np.argmax(rules_probabilities, axis=1)]
    # A stricter test of the real sources: train without the source at
    # all, so nothing of its collection setup can be learnt. These
    # out-of-source probabilities also calibrate the model.
    held_out = {}
    real = training_set.sources != 'synthetic'
    held_probabilities = np.zeros((int(real.sum()), len(synthetic.CLASSES)))
    for source in sorted(set(training_set.sources) - {'synthetic'}):
        mask = training_set.sources == source
        bundle = random_forest.fit(features[~mask], truth[~mask], seed=seed,
                                   n_estimators=trees)
        found = random_forest.probabilities(bundle, features[mask])[0]
        held_probabilities[mask[real]] = found
        guess = np.asarray(synthetic.CLASSES)[np.argmax(found, axis=1)]
        held_out[source] = {'workloads': int(mask.sum()),
                            'accuracy': float(np.mean(guess == truth[mask]))}
    temperature = calibration.fit_temperature(
        held_probabilities,
        [synthetic.CLASSES.index(label) for label in truth[real]])
    held = evaluation.LabelledSet(features[real], truth[real],
                                  training_set.sources[real])
    abstain_below = evaluation.choose_threshold(
        held, held_probabilities,
        np.full((len(held), 1), None, dtype=object),
        dict.fromkeys(set(held.sources), temperature))
    return {
        'temperature': temperature,
        'abstain_below': abstain_below,
        'random_forest': _scores(truth, predicted.astype(str),
                                 training_set.sources),
        'rules': _scores(truth, rules_predicted.astype(str),
                         training_set.sources),
        'source_held_out': held_out,
    }


def format_report(report, training_set, folds):
    """The evaluation as plain-text tables."""
    lines = [f'Grouped {folds}-fold cross-validation on {len(training_set)} '
             'workloads (no group in both training and test folds).', '',
             'Accuracy per source:',
             f'  {"source":<16}{"workloads":>10}{"random_forest":>15}'
             f'{"rules":>8}']
    forest, baseline = report['random_forest'], report['rules']
    for source, scores in forest['per_source'].items():
        lines.append(f'  {source:<16}{scores["workloads"]:>10}'
                     f'{scores["accuracy"]:>15.3f}'
                     f'{baseline["per_source"][source]["accuracy"]:>8.3f}')
    lines.append(f'  {"all":<16}{len(training_set):>10}'
                 f'{forest["accuracy"]:>15.3f}{baseline["accuracy"]:>8.3f}')
    lines += ['', 'Recall per source and class (random_forest / rules):']
    for source, scores in forest['per_source'].items():
        for label, recall in scores['per_class'].items():
            rules_recall = baseline['per_source'][source]['per_class'][label]
            lines.append(f'  {source:<16}{label:<12}{recall:>8.3f}'
                         f'{rules_recall:>8.3f}')
    lines += ['', 'Accuracy on a real source when the forest is trained '
              'without it:']
    for source, scores in report['source_held_out'].items():
        lines.append(f'  {source:<16}{scores["workloads"]:>10}'
                     f'{scores["accuracy"]:>15.3f}')
    lines += ['', 'Per class (random_forest):',
              f'  {"class":<12}{"workloads":>10}{"precision":>11}'
              f'{"recall":>8}{"f1":>7}']
    for label, scores in forest['per_class'].items():
        lines.append(f'  {label:<12}{scores["workloads"]:>10}'
                     f'{scores["precision"]:>11.3f}{scores["recall"]:>8.3f}'
                     f'{scores["f1"]:>7.3f}')
    lines += ['', 'Confusion (rows true, columns predicted: '
              + ', '.join(synthetic.CLASSES) + '):']
    for label, row in zip(synthetic.CLASSES, forest['confusion'],
                          strict=True):
        lines.append(f'  {label:<12}' + ''.join(f'{n:>8}' for n in row))
    return '\n'.join(lines)
