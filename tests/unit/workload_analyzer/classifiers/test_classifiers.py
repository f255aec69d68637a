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

import logging

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn import preprocessing

from kcloud_analyzer import service
from kcloud_analyzer.workload_analyzer import classifiers
from kcloud_analyzer.workload_analyzer.classifiers import base
from kcloud_analyzer.workload_analyzer.classifiers import random_forest
from kcloud_analyzer.workload_analyzer.classifiers import rules
from kcloud_analyzer.workload_analyzer import features
from kcloud_analyzer.workload_analyzer import series as series_lib
from kcloud_analyzer.workload_analyzer import synthetic


@pytest.fixture(scope='module')
def labelled():
    rng = np.random.default_rng(21)
    frames, labels = [], []
    for workload_class in synthetic.CLASSES:
        series, workloads = synthetic.generate(80, workload_class, rng,
                                               prefix=workload_class)
        frames.append(features.analyze(series, workloads)[2])
        labels += [workload_class] * 80
    return pd.concat(frames), np.array(labels)


@pytest.fixture
def conf(tmp_path):
    conf = service.prepare_service([], default_config_files=[])
    conf.set_override('models_dir', str(tmp_path))
    return conf


def _check_frame(prediction, features_frame):
    assert list(prediction.columns) == [
        'workload_class', 'confidence', 'deciding_features',
        'probabilities', 'evidence', 'reason']
    assert prediction.index.equals(features_frame.index)
    assert prediction['workload_class'].isin(
        (*base.CLASSES, base.UNKNOWN)).all()
    assert prediction['confidence'].between(0, 1).all()
    for names in prediction['deciding_features']:
        assert set(names) <= set(features.FEATURES)
    unknown = (prediction['workload_class'] == base.UNKNOWN).to_numpy()
    assert prediction['reason'].notna().to_numpy().tolist() == (
        unknown.tolist())
    total = prediction['probabilities'].map(lambda p: sum(p.values()))
    np.testing.assert_allclose(total, 1.0)


def test_rules_classifier(labelled):
    frame, labels = labelled
    prediction = rules.RulesClassifier(conf=None).predict(frame)
    _check_frame(prediction, frame)
    answered = prediction['workload_class'].to_numpy()
    serving = answered[labels == 'serving']
    assert np.mean(serving == 'serving') > 0.5
    assert np.mean(answered[labels != 'serving'] == 'serving') < 0.1
    # Each decision a rule tipped names at least one reason; a workload
    # no rule applies to (power only, say) is an even split: unknown.
    voted = prediction['confidence'] > 1 / 3 + 1e-9
    assert voted.mean() > 0.8
    assert prediction.loc[voted, 'deciding_features'].map(len).min() >= 1
    assert (prediction.loc[~voted, 'workload_class'] == base.UNKNOWN).all()


def test_rules_ignore_missing_features():
    frame = pd.DataFrame(np.nan, index=['w'], columns=list(features.FEATURES))
    frame['samples'] = 0.0
    prediction = rules.RulesClassifier(conf=None).predict(frame)
    assert prediction.loc['w', 'confidence'] == pytest.approx(1 / 3)
    assert prediction.loc['w', 'deciding_features'] == []


def test_no_evidence_is_unknown_never_a_default_class():
    # Regression: with no evidence at all the rules answered "training"
    # (confidence 0.33).
    frame = pd.DataFrame(np.nan, index=['w'], columns=list(features.FEATURES))
    frame['samples'] = 0.0
    decision = rules.RulesClassifier(conf=None).predict(frame).loc['w']
    assert decision['workload_class'] == base.UNKNOWN
    assert decision['reason'] == 'no telemetry and no cloud records seen'


def test_declared_type_counts_as_evidence():
    frame = pd.DataFrame(np.nan, index=['w'], columns=list(features.FEATURES))
    frame['samples'] = 0.0
    records = pd.DataFrame({'type': ['serving'], 'image': ['vllm/vllm']},
                           index=['w'])
    decision = rules.RulesClassifier(conf=None).predict(
        frame, records=records).loc['w']
    assert decision['workload_class'] == 'serving'
    assert decision['confidence'] > 0.9
    assert [e['source'] for e in decision['evidence']] == [
        'declared_type', 'image']
    assert decision['reason'] is None


def test_random_forest_round_trip(labelled, conf, tmp_path):
    frame, labels = labelled
    train = np.arange(len(frame)) % 2 == 0
    bundle = random_forest.fit(frame[train], labels[train], n_estimators=40)
    random_forest.save(bundle, tmp_path / random_forest.model_file_name(1))
    random_forest.save(bundle, tmp_path / random_forest.model_file_name(3))
    classifier = classifiers.get_classifier(conf)
    assert isinstance(classifier, random_forest.RandomForestClassifier)
    assert classifier.model_path.name == 'workload_classifier-v3.skops'
    prediction = classifier.predict(frame[~train])
    _check_frame(prediction, frame[~train])
    answered = prediction['workload_class'].to_numpy()
    known = answered != base.UNKNOWN
    assert known.mean() > 0.5
    assert np.mean(answered[known] == labels[~train][known]) > 0.8
    assert prediction['deciding_features'].map(len).max() == 3


def test_forest_probabilities_tree_by_tree_equal_scikit_learn(labelled):
    frame, labels = labelled
    bundle = random_forest.fit(frame, labels, n_estimators=30)
    forest = bundle['estimator']
    assert forest.n_jobs == 1  # grown on every core, predicts on one
    values = frame[bundle['feature_names']].to_numpy(dtype=float).copy()
    values[::5, 0] = np.nan  # missing values go where the trees learnt
    assert np.isnan(values).any()
    expected = forest.predict_proba(values)
    found = random_forest.predict_proba(forest, values)
    np.testing.assert_array_equal(found, expected)
    assert len(np.unique(found.argmax(axis=1))) > 1
    # Not what the forest was fitted on: scikit-learn's own error.
    with pytest.raises(ValueError):
        random_forest.predict_proba(forest, values[:, 1:])


def test_missing_model_falls_back_to_rules(conf, caplog):
    with caplog.at_level(logging.WARNING):
        classifier = classifiers.get_classifier(conf, 'random_forest')
    assert isinstance(classifier, rules.RulesClassifier)
    assert 'using the rules classifier' in caplog.text
    assert 'no workload_classifier model file' in caplog.text


def test_corrupt_model_falls_back_to_rules(conf, tmp_path, caplog):
    (tmp_path / random_forest.model_file_name(1)).write_bytes(
        b'not a zip file')
    with caplog.at_level(logging.WARNING):
        classifier = classifiers.get_classifier(conf)
    assert isinstance(classifier, rules.RulesClassifier)
    assert 'cannot be loaded' in caplog.text


def test_untrusted_type_is_refused(conf, tmp_path, caplog):
    # A file may hold any object skops can store; only a forest's types
    # are accepted.
    bundle = {'estimator': preprocessing.FunctionTransformer(func=print)}
    skops.io.dump(bundle, str(tmp_path / random_forest.model_file_name(2)))
    with pytest.raises(base.ModelUnavailable, match='untrusted types'):
        random_forest.RandomForestClassifier(conf)
    with caplog.at_level(logging.WARNING):
        classifier = classifiers.get_classifier(conf)
    assert classifier.name == 'rules'


def test_model_on_dropped_features_is_refused(labelled, conf, tmp_path,
                                              caplog):
    frame, labels = labelled
    bundle = random_forest.fit(frame, labels, n_estimators=5)
    bundle['feature_names'] = bundle['feature_names'] + [
        'observed_hours_log10']
    random_forest.save(bundle, tmp_path / random_forest.model_file_name(4))
    with caplog.at_level(logging.WARNING):
        classifier = classifiers.get_classifier(conf)
    assert classifier.name == 'rules'
    assert 'observed_hours_log10' in caplog.text


def test_rules_is_loadable_by_name(conf):
    assert isinstance(classifiers.get_classifier(conf, 'rules'),
                      rules.RulesClassifier)


def _only(**values):
    frame = pd.DataFrame(np.nan, index=['w'], columns=list(features.FEATURES))
    for name, value in values.items():
        frame[name] = value
    return frame


def test_observation_length_is_not_a_feature():
    # Regression: observed_hours_log10 was the forest's top deciding
    # feature on real jobs; how long a workload was watched must not
    # decide its class.
    assert not any('observed' in name or 'hours' in name
                   for name in features.FEATURES)


def test_rules_peak_to_mean_votes_serving():
    prediction = rules.RulesClassifier(conf=None).predict(
        _only(peak_to_mean=1.5))
    decision = prediction.loc['w']
    # One weak vote is not enough to name a class.
    assert decision['workload_class'] == base.UNKNOWN
    assert max(decision['probabilities'],
               key=decision['probabilities'].get) == 'serving'
    assert decision['deciding_features'] == ['peak_to_mean']
    steady = rules.RulesClassifier(conf=None).predict(
        _only(peak_to_mean=1.05))
    assert steady.loc['w', 'deciding_features'] == []


def _hand_made_features(gpu, memory):
    """Features of 5-minute GPU and GPU memory series over 100 minutes."""
    steps = len(gpu)
    start = pd.Timestamp('2026-01-05T00:00:00Z')
    times = start + pd.to_timedelta(np.arange(steps) * 300, unit='s')
    usage = pd.concat([pd.DataFrame({
        'workload_id': 'w', 'timestamp': times, 'metric': metric,
        'value': np.asarray(values, dtype=float)})
        for metric, values in (('gpu_utilization', gpu),
                               ('gpu_memory_utilization', memory))])
    workloads = pd.DataFrame({
        'workload_id': ['w'], 'type': [None], 'cpu_cores': [16.0],
        'memory_gb': [128.0], 'gpu_count': [2], 'npu_count': [0],
        'accelerator': ['gpu'], 'project_id': ['p']})
    series = series_lib.from_usage(usage, workloads['workload_id'])
    return features.analyze(series, workloads)[2]


def test_rules_on_hand_made_series():
    steps = np.arange(20)
    saturated = _hand_made_features(99.0 + 0.5 * np.sin(steps),
                                    70.0 + 5.0 * np.cos(steps))
    # Load that follows the requests: a mean of 35 % swinging by half
    # of it, with the model resident in memory.
    requests = _hand_made_features(
        35.0 * (1 + 0.5 * np.sin(2 * np.pi * steps / 12)),
        np.full(20, 88.0))
    classifier = rules.RulesClassifier(conf=None)
    # Saturated and steady: training is the likelier class, but flat batch
    # inference looks the same, so the rules must not be sure of it.
    steady = classifier.predict(saturated).loc['w']
    assert max(steady['probabilities'],
               key=steady['probabilities'].get) == 'training'
    assert steady['workload_class'] in ('training', base.UNKNOWN)
    assert steady['confidence'] < 0.8
    decision = classifier.predict(requests).loc['w']
    assert max(decision['probabilities'],
               key=decision['probabilities'].get) == 'serving'
    assert decision['workload_class'] in ('serving', base.UNKNOWN)
    assert 'peak_to_mean' in decision['deciding_features']
