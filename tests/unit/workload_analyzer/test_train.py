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

import numpy as np
import pytest
from sklearn import model_selection

from kcloud_analyzer.common import datasets as data_locator
from kcloud_analyzer.workload_analyzer import train


@pytest.fixture(scope='module')
def small_set():
    return train.build_training_set(
        data_locator.data_dir(), np.random.default_rng(0),
        synthetic_per_class=30, max_alibaba_pods=12, max_zeus_runs=30)


def test_training_set_sources(small_set):
    assert small_set.summary() == {
        'alibaba_genai': {'serving': 12},
        'migprofiler': {'inference': 404, 'training': 96},
        'synthetic': {'inference': 30, 'serving': 30, 'training': 30},
        'zeus': {'training': 30},
    }
    assert len(small_set.groups) == len(small_set)


def test_groups_never_split_across_folds(small_set):
    splitter = model_selection.GroupKFold(n_splits=3)
    for train_index, test_index in splitter.split(
            small_set.features, small_set.labels, small_set.groups):
        assert not (set(small_set.groups[train_index])
                    & set(small_set.groups[test_index]))


def test_evaluate_reports_per_source_and_class(small_set):
    report = train.evaluate(small_set, folds=3, seed=0, trees=20)
    forest = report['random_forest']
    assert set(forest['per_source']) == {'alibaba_genai', 'migprofiler',
                                         'synthetic', 'zeus'}
    assert set(forest['per_class']) == {'training', 'inference', 'serving'}
    assert 0 <= forest['accuracy'] <= 1
    assert np.sum(forest['confusion']) == len(small_set)
    assert set(report['source_held_out']) == {'alibaba_genai',
                                              'migprofiler', 'zeus'}
    # Calibrated on the sources held out: a forest is over-confident on
    # a source it never saw, never under-confident by much.
    assert 0.25 <= report['temperature'] <= 20
    text = train.format_report(report, small_set, 3)
    assert 'alibaba_genai' in text and 'Per class' in text
