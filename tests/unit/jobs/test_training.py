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

from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.cost_model import models
from kcloud_analyzer.jobs import frames
from kcloud_analyzer.jobs import training
from kcloud_analyzer.workload_analyzer.classifiers import random_forest
from tests.unit.cost_model import cards
from tests.unit.jobs import conftest


def test_retrain_adds_declared_workloads_and_stores_a_version(serving_store):
    conf, context, now, pods = serving_store
    declared = training.declared_training_set(context, now=now)
    assert sorted(declared.features.index) == sorted(pods)
    assert set(declared.labels) == {'serving'}
    record = training.retrain_classifier(conf, context, synthetic_per_class=15,
                          zeus_runs=10, folds=2, trees=10, now=now)
    assert record['version'] == 1
    assert record['data']['workloads']['declared'] == {
        'serving': conftest.PODS}
    bundle = random_forest.load(record['file'])
    assert set(bundle['classes']) == {'training', 'inference', 'serving'}
    assert np.isfinite(record['metrics']['random_forest']['accuracy'])


def test_retrain_records_a_version(cost_store):
    conf, context = cost_store
    record = training.retrain_cost_model(conf, context)
    assert record['name'] == models.RECORD_NAME
    assert record['version'] == 1
    assert record['metrics']['nobs'] == 6 * conftest.HOURS
    conf.set_override('type', 'rate_card', group='cost_model')
    assert training.retrain_cost_model(conf, context) is None


def test_train_from_the_store(store):
    context = kcontext.get_admin_context()
    usage = conftest.add_fleet(context, 48)
    workloads, loaded = frames.from_store(context)
    assert len(workloads) == 6 and len(loaded) == len(usage)
    record = training.train_cost_model(store, context, workloads, loaded,
                                       cards.card())
    assert record['version'] == 1
    assert record['metrics']['nobs'] == 6 * 48
