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
"""The bundled sample trace, fed to the classifiers the way the agent is.

The embedded default replays the trace an hour a minute and classifies
the 5-minute rollups of what it has seen: after two minutes of running,
the first two hours of the trace. Each workload's project names the class
its series were drawn from.
"""

import datetime

import pandas as pd
import pytest

from kcloud_analyzer.common import context as k_context
from kcloud_analyzer.common import offline
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from kcloud_analyzer.metrics_collector.collectors import replay
from kcloud_analyzer import service
from kcloud_analyzer.workload_analyzer import jobs

from tests import fixtures

SEEN = pd.Timedelta(hours=2)
NOW = datetime.datetime(2026, 3, 1, 12, 0)

# Steady saturated training and flat batch inference at 85-99 % differ
# only by a few points of utilisation in this trace's telemetry (no
# network or disk), which neither classifier separates yet.
_NOT_SEPARATED = pytest.mark.xfail(
    reason='steady training and flat batch inference look alike',
    strict=False)


def _rollups(usage):
    usage = usage[usage['timestamp'] < usage['timestamp'].min() + SEEN]
    usage = usage.assign(timestamp=usage['timestamp'] + (
        pd.Timestamp(NOW, tz='UTC') - usage['timestamp'].max()))
    usage['window_start'] = usage['timestamp'].dt.floor('5min')
    rows = usage.groupby(['workload_id', 'metric', 'window_start'])[
        'value'].agg(['mean', 'min', 'max', 'count']).reset_index()
    rows['window_start'] = rows['window_start'].dt.tz_localize(None)
    rows['count'] = rows['count'].astype(int)
    return rows.to_dict('records')


@pytest.fixture(scope='module')
def classified(tmp_path_factory):
    """Classes given by the rules (before any training) and by the forest
    the agent trains at its first start."""
    folder = tmp_path_factory.mktemp('sample')
    config = folder / 'sample.conf'
    config.write_text(
        '[DEFAULT]\nstate_path = %s\n'
        '[database]\nconnection = sqlite:///%s/kcloud.sqlite\n'
        % (folder, folder))
    conf = service.prepare_service(['--config-file', str(config)],
                                   default_config_files=[])
    fixtures.use_store(conf)
    migration.upgrade()
    context = k_context.get_admin_context()
    workloads = offline.load_workloads(replay.SAMPLE_WORKLOADS)
    for row in workloads.to_dict('records'):
        db_api.workload_upsert(context, {
            'workload_id': row['workload_id'],
            'project_id': row['project_id'],
            'declared_type': row['type'],
            'resources': {'cpu_cores': row['cpu_cores'],
                          'memory_gb': row['memory_gb'],
                          'gpu_count': row['gpu_count'],
                          'npu_count': row['npu_count']},
            'accelerator': row['accelerator']})
    db_api.rollups_upsert(context, _rollups(
        offline.load_usage(replay.SAMPLE_USAGE)))
    result = {}
    for step in ('rules', 'random_forest'):
        if step == 'random_forest':
            # The agent's first retraining, with its default training set;
            # two folds only shorten the evaluation stored beside it.
            jobs.retrain(conf, context, folds=2, now=NOW)
        jobs.update_profiles(conf, context, now=NOW)
        for row in workloads.to_dict('records'):
            stored = db_api.workload_get(context, row['workload_id'])
            assert stored['classification']['classifier'] == step
            result[step, row['workload_id']] = (
                stored['classified_type'],
                row['project_id'].removeprefix('demo-'))
    return result


WORKLOADS = [
    ('train-sft-a100', _NOT_SEPARATED),
    ('train-pretrain-a100x2', _NOT_SEPARATED),
    ('train-llm-a100x8', _NOT_SEPARATED),
    ('infer-batch-gpqa-h100', ()),
    ('infer-batch-t2i-h100', ()),
    ('serve-chat-h100', ()),
    ('serve-code-h100', ()),
    ('serve-imagechat-h100', ()),
]


@pytest.mark.parametrize('workload_id', [
    pytest.param(w, marks=m) for w, m in WORKLOADS])
def test_forest_gives_the_source_class(classified, workload_id):
    predicted, source = classified['random_forest', workload_id]
    assert predicted == source


@pytest.mark.parametrize('workload_id', [
    pytest.param(w, marks=() if w.startswith(('train', 'serve'))
                 else _NOT_SEPARATED) for w, _ in WORKLOADS])
def test_rules_give_the_source_class(classified, workload_id):
    predicted, source = classified['rules', workload_id]
    assert predicted == source
