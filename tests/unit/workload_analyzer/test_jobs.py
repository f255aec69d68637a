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

from kcloud_analyzer.common import context as k_context
from kcloud_analyzer.common import datasets as data_locator
from kcloud_analyzer.common import metrics
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from kcloud_analyzer import service
from kcloud_analyzer.workload_analyzer.classifiers import random_forest
from kcloud_analyzer.workload_analyzer import datasets
from kcloud_analyzer.workload_analyzer import jobs

from tests import fixtures

PODS = 4


def _rollup_rows(usage, now):
    """5-minute rollups of real series, shifted to end at ``now``."""
    usage = usage.copy()
    usage['timestamp'] += (pd.Timestamp(now, tz='UTC')
                           - usage['timestamp'].max())
    usage['window_start'] = usage['timestamp'].dt.floor('5min')
    grouped = usage.groupby(['workload_id', 'metric', 'window_start'])[
        'value']
    rows = grouped.agg(['mean', 'min', 'max', 'count']).reset_index()
    rows['window_start'] = rows['window_start'].dt.tz_localize(None)
    rows['count'] = rows['count'].astype(int)
    return [dict(r) for r in rows.to_dict('records')]


@pytest.fixture
def store(tmp_path):
    config = tmp_path / 'jobs.conf'
    config.write_text(
        '[DEFAULT]\nstate_path = %s\n'
        '[database]\nconnection = sqlite:///%s/kcloud.sqlite\n'
        % (tmp_path, tmp_path))
    conf = service.prepare_service(['--config-file', str(config)],
                                   default_config_files=[])
    fixtures.use_store(conf)
    migration.upgrade()
    context = k_context.get_admin_context()
    now = datetime.datetime(2026, 3, 1, 12, 0)
    workloads, usage = datasets.alibaba_serving(data_locator.data_dir(),
                                                max_pods=PODS)
    for workload_id in workloads['workload_id']:
        db_api.workload_upsert(context, {
            'workload_id': workload_id, 'project_id': 'p1',
            'declared_type': 'serving',
            'resources': {'cpu_cores': 8, 'memory_gb': 32, 'gpu_count': 1},
            'accelerator': 'gpu'})
    db_api.workload_upsert(context, {
        'workload_id': 'no-telemetry', 'project_id': 'p1', 'resources': {}})
    db_api.rollups_upsert(context, _rollup_rows(usage, now))
    return conf, context, now, list(workloads['workload_id'])


def test_update_profiles_classifies_and_stores(store):
    conf, context, now, pods = store
    assert jobs.update_profiles(conf, context, now=now) == PODS
    for pod in pods:
        stored = db_api.workload_get(context, pod)
        # No model trained in this store: the rules classifier answers.
        assert stored['classification']['classifier'] == 'rules'
        assert stored['classified_type'] == 'serving'
        assert 0 < stored['confidence'] <= 1
        assert stored['classification']['deciding_features']
        resource = stored['profile']['resource']
        assert 0 <= resource['gpu_utilization.mean'] <= 100
        assert resource['gpus_allocated'] == 1
        assert resource['sampling_interval_s'] == 300
        assert stored['profile']['energy']['energy_kwh'] is None
    untouched = db_api.workload_get(context, 'no-telemetry')
    assert untouched['classified_type'] is None


def test_retrain_adds_declared_workloads_and_stores_a_version(store):
    conf, context, now, pods = store
    declared = jobs.declared_training_set(context, now=now)
    assert sorted(declared.features.index) == sorted(pods)
    assert set(declared.labels) == {'serving'}
    record = jobs.retrain(conf, context, synthetic_per_class=15,
                          zeus_runs=10, folds=2, trees=10, now=now)
    assert record['version'] == 1
    assert record['data']['workloads']['declared'] == {'serving': PODS}
    bundle = random_forest.load(record['file'])
    assert set(bundle['classes']) == {'training', 'inference', 'serving'}
    assert np.isfinite(record['metrics']['random_forest']['accuracy'])


def test_usage_from_rollups_shape():
    rows = [{'workload_id': 'w', 'metric': metrics.GPU_UTILIZATION,
             'window_start': datetime.datetime(2026, 1, 1, 0, 5),
             'mean': 40.0, 'min': 1.0, 'max': 90.0, 'count': 10}]
    usage = jobs.usage_from_rollups(rows)
    assert list(usage.columns) == ['workload_id', 'timestamp', 'metric',
                                   'value']
    assert usage['timestamp'].iloc[0] == pd.Timestamp(
        '2026-01-01T00:05:00Z')
    assert usage['value'].tolist() == [40.0]
    assert jobs.usage_from_rollups([]).empty
