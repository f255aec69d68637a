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

import datetime

import numpy as np
import pandas as pd
import pytest

from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import offline
from kcloud_analyzer.cost_model import models
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.cost_model import realtime
from kcloud_analyzer.db import api as db_api
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


def test_declared_workloads_are_sampled_per_class(serving_store):
    conf, context, now, pods = serving_store
    declared = training.declared_training_set(
        context, now=now, per_class=3, rng=np.random.default_rng(1))
    assert len(declared.features) == 3
    assert set(declared.features.index) < set(pods)
    assert list(declared.labels) == ['serving'] * 3
    # other draws, other samples; enough room, every one
    samples = {frozenset(training.declared_training_set(
        context, now=now, per_class=2,
        rng=np.random.default_rng(seed)).features.index)
        for seed in range(6)}
    assert len(samples) > 1 and all(len(s) == 2 for s in samples)
    every = training.declared_training_set(context, now=now,
                                           per_class=len(pods))
    assert sorted(every.features.index) == sorted(pods)


def test_sample_per_class_keeps_each_type_apart():
    workloads = [{'workload_id': 'w%02d' % i,
                  'declared_type': ('training', 'serving')[i % 2]}
                 for i in range(20)] + [{'workload_id': 'x',
                                         'declared_type': 'inference'}]
    kept = training.sample_per_class(workloads, 4,
                                     np.random.default_rng(0))
    kinds = [w['declared_type'] for w in kept]
    assert kinds.count('training') == kinds.count('serving') == 4
    assert kinds.count('inference') == 1
    assert [w['workload_id'] for w in kept] == sorted(
        w['workload_id'] for w in kept)


def test_retrain_records_a_version(cost_store):
    conf, context = cost_store
    end = conftest.START + datetime.timedelta(hours=conftest.HOURS)
    record = training.retrain_cost_model(conf, context, now=end)
    assert record['name'] == models.RECORD_NAME
    assert record['version'] == 1
    assert record['metrics']['nobs'] == 6 * conftest.HOURS
    assert record['data']['workload_hours_in_window'] == 6 * conftest.HOURS
    # the window: only the last day of the two
    conf.set_override('training_window', '1d', group='cost_model')
    record = training.retrain_cost_model(conf, context, now=end)
    assert record['metrics']['nobs'] == 6 * 24
    assert record['data']['first_hour'] == (
        end - datetime.timedelta(hours=24)).isoformat() + '+00:00'
    # nothing in the window: nothing trained
    assert training.retrain_cost_model(
        conf, context, now=end + datetime.timedelta(days=2)) is None
    conf.set_override('type', 'rate_card', group='cost_model')
    assert training.retrain_cost_model(conf, context, now=end) is None


def test_retrain_skips_a_history_the_card_cannot_price(cost_store,
                                                       caplog):
    conf, context = cost_store
    end = conftest.START + datetime.timedelta(hours=conftest.HOURS)
    db_api.workload_create(context, {
        'workload_id': 'odd', 'project_id': 'p', 'accelerator': 'X9',
        'resources': {'cpu_cores': 4, 'memory_gb': 16, 'gpu_count': 1}})
    db_api.rollups_upsert(context, [{
        'workload_id': 'odd', 'metric': 'gpu_utilization',
        'window_start': conftest.START, 'mean': 50.0, 'min': 50.0,
        'max': 50.0, 'count': 1}])
    assert training.retrain_cost_model(conf, context, now=end) is None
    assert "model 'x9' is not in the rate card" in caplog.text.lower()
    assert db_api.model_version_get_latest(context,
                                           models.RECORD_NAME) is None


def test_retrain_keeps_a_uniform_sample_of_the_window(cost_store):
    conf, context = cost_store
    end = conftest.START + datetime.timedelta(hours=conftest.HOURS)
    conf.set_override('training_hours', 100, group='cost_model')
    record = training.retrain_cost_model(conf, context, now=end)
    assert record['metrics']['nobs'] == 100
    assert record['data']['workload_hours'] == 100
    assert record['data']['workload_hours_in_window'] == 6 * conftest.HOURS


@pytest.fixture
def priced_store(tmp_path):
    """Real serving pods on A100s, which the packaged rate card prices."""
    return conftest.make_serving_store(
        tmp_path, datetime.datetime(2026, 3, 1, 12, 0), accelerator='A100')


@pytest.fixture
def parts_read(monkeypatch):
    """``(limit, workloads)`` of every part :func:`frames.usage_parts`
    yields, as it yields them."""
    parts = []
    usage_parts = frames.usage_parts

    def counted(*args, **kwargs):
        for part in usage_parts(*args, **kwargs):
            parts.append((kwargs['limit'], len(part[0])))
            yield part

    monkeypatch.setattr(frames, 'usage_parts', counted)
    return parts


def test_cost_history_is_the_whole_window_priced_part_by_part(
        priced_store, parts_read):
    conf, context, pods = priced_store
    card = ratecard.load_rate_card(None)
    workloads, usage = frames.from_store(context)
    whole = realtime.compute_costs(
        frames.measured(workloads, usage), usage, card).sort_values(
        ['workload_id', 'hour'], ignore_index=True)
    # one workload a part: every pod is priced in a part of its own
    kept, hourly, costs, seen = training.cost_history(context, card,
                                                      rows=10)
    assert parts_read == [(10, 1)] * len(pods)
    assert seen == len(whole) and sorted(kept['workload_id']) == sorted(pods)
    pd.testing.assert_frame_equal(costs, whole, check_dtype=False,
                                  check_categorical=False)
    # the usage kept is the hourly means the cost plugins fit on
    pd.testing.assert_frame_equal(
        realtime.hourly_means(hourly).sort_index().sort_index(axis=1),
        realtime.hourly_means(usage).sort_index().sort_index(axis=1),
        check_names=False, check_index_type=False)
    # fitted on them, the model is the one fitted on every rollup
    fitted = []
    for frame in (usage, hourly):
        model = models.get_cost_model(conf, 'linear_regression', card=card)
        statistics = model.fit(workloads, frame, whole)
        fitted.append((statistics.pop('features'), statistics,
                       model.params['coefficients']))
    assert fitted[0][0] == fitted[1][0]
    assert fitted[0][1] == pytest.approx(fitted[1][1])
    assert fitted[0][2] == pytest.approx(fitted[1][2])


def test_cost_history_reads_parts_smaller_than_the_cost_jobs(
        priced_store, parts_read):
    _, context, _ = priced_store
    training.cost_history(context, ratecard.load_rate_card(None))
    limits = [limit for limit, _ in parts_read]
    assert limits and set(limits) == {training.HISTORY_ROWS}
    assert training.HISTORY_ROWS < frames.BATCH_ROWS


def test_cost_history_samples_hours_uniformly(priced_store):
    conf, context, pods = priced_store
    card = ratecard.load_rate_card(None)
    _, _, every, seen = training.cost_history(context, card)
    workloads, hourly, costs, again = training.cost_history(
        context, card, limit=seen // 3)
    assert again == seen and len(costs) == seen // 3
    # a subset of the priced hours, with their lines as priced
    merged = costs.merge(every, on=['workload_id', 'hour'],
                         suffixes=('', '_all'))
    assert len(merged) == len(costs)
    np.testing.assert_allclose(merged['cost_per_hour'],
                               merged['cost_per_hour_all'])
    # the workloads of the kept hours only, as workloads.csv has them
    assert set(workloads['workload_id']) == set(costs['workload_id'])
    assert tuple(workloads.columns) == offline.WORKLOAD_COLUMNS
    # from most pods, over the whole window
    assert set(costs['workload_id']) <= set(pods)
    assert len(set(costs['workload_id'])) > len(pods) // 2
    assert costs['hour'].min() < every['hour'].quantile(0.1)
    assert costs['hour'].max() > every['hour'].quantile(0.9)
    # and the hourly usage of those hours only
    assert set(map(tuple, hourly[['workload_id', 'timestamp']].to_numpy())) \
        == set(map(tuple, costs[['workload_id', 'hour']].to_numpy()))


def test_train_from_the_store(store):
    context = kcontext.get_admin_context()
    usage = conftest.add_fleet(context, 48)
    workloads, loaded = frames.from_store(context)
    assert len(workloads) == 6 and len(loaded) == len(usage)
    record = training.train_cost_model(store, context, workloads, loaded,
                                       cards.card())
    assert record['version'] == 1
    assert record['metrics']['nobs'] == 6 * 48
