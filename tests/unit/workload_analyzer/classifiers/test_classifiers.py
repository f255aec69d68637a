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
    assert list(prediction.columns) == ['workload_class', 'confidence',
                                        'deciding_features']
    assert prediction.index.equals(features_frame.index)
    assert prediction['workload_class'].isin(base.CLASSES).all()
    assert prediction['confidence'].between(0, 1).all()
    for names in prediction['deciding_features']:
        assert set(names) <= set(features.FEATURES)


def test_rules_classifier(labelled):
    frame, labels = labelled
    prediction = rules.RulesClassifier(conf=None).predict(frame)
    _check_frame(prediction, frame)
    serving = prediction['workload_class'].to_numpy()[labels == 'serving']
    assert np.mean(serving == 'serving') > 0.7
    # Each decision names at least one reason.
    assert prediction['deciding_features'].map(len).min() >= 1


def test_rules_ignore_missing_features():
    frame = pd.DataFrame(np.nan, index=['w'], columns=list(features.FEATURES))
    prediction = rules.RulesClassifier(conf=None).predict(frame)
    assert prediction.loc['w', 'confidence'] == pytest.approx(1 / 3)
    assert prediction.loc['w', 'deciding_features'] == []


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
    accuracy = np.mean(prediction['workload_class'].to_numpy()
                       == labels[~train])
    assert accuracy > 0.8
    assert prediction['deciding_features'].map(len).max() == 3


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


def test_rules_is_loadable_by_name(conf):
    assert isinstance(classifiers.get_classifier(conf, 'rules'),
                      rules.RulesClassifier)
