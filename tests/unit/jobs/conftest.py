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
"""Stores for the jobs' tests: real series, rolled up as the agent does."""

import datetime
import json

import pandas as pd
import pytest

from kcloud_analyzer.common import context as k_context
from kcloud_analyzer.common import datasets as data_locator
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from kcloud_analyzer import service
from kcloud_analyzer.workload_analyzer import datasets
from tests import fixtures
from tests.unit.cost_model import cards
from tests.unit.cost_model.models import test_linear_regression as history

#: Alibaba serving pods in the serving store
PODS = 4
#: hours of cost history in the cost store, from START
HOURS = 48
START = datetime.datetime(2026, 3, 2)


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


def make_serving_store(tmp_path, now, accelerator='gpu'):
    """A SQLite store named by a configuration file in ``tmp_path``, with
    real serving pods whose series end at ``now``; returns (conf,
    context, pod ids). ``db.api`` points at it from then on."""
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
    workloads, usage = datasets.alibaba_serving(data_locator.data_dir(),
                                                max_pods=PODS)
    for workload_id in workloads['workload_id']:
        db_api.workload_upsert(context, {
            'workload_id': workload_id, 'project_id': 'p1',
            'declared_type': 'serving',
            'resources': {'cpu_cores': 8, 'memory_gb': 32, 'gpu_count': 1},
            'accelerator': accelerator})
    db_api.workload_upsert(context, {
        'workload_id': 'no-telemetry', 'project_id': 'p1', 'resources': {}})
    db_api.rollups_upsert(context, _rollup_rows(usage, now))
    return conf, context, list(workloads['workload_id'])


@pytest.fixture
def serving_store(tmp_path):
    now = datetime.datetime(2026, 3, 1, 12, 0)
    conf, context, pods = make_serving_store(tmp_path, now)
    return conf, context, now, pods


def add_fleet(context, hours):
    """The fleet of the cost model's tests with ``hours`` hours of its
    history as one-sample rollups; returns that usage."""
    usage, _ = history._history(hours=hours)
    for row in history.FLEET.itertuples():
        db_api.workload_create(context, {
            'workload_id': row.workload_id, 'project_id': row.project_id,
            'declared_type': row.type, 'accelerator': row.accelerator,
            'resources': {'cpu_cores': row.cpu_cores,
                          'memory_gb': row.memory_gb,
                          'gpu_count': row.gpu_count,
                          'npu_count': row.npu_count}})
    db_api.rollups_upsert(context, [{
        'workload_id': r.workload_id, 'metric': r.metric,
        'window_start': r.timestamp.to_pydatetime().replace(tzinfo=None),
        'mean': r.value, 'min': r.value, 'max': r.value, 'count': 1}
        for r in usage.itertuples()])
    return usage


@pytest.fixture
def store():
    """The configuration of an empty, migrated store of its own."""
    conf_fixture = fixtures.ConfFixture()
    conf_fixture.setUp()
    database = fixtures.Database(conf_fixture.conf)
    database.setUp()
    yield conf_fixture.conf
    database.cleanUp()
    conf_fixture.cleanUp()


@pytest.fixture
def card_store(store):
    """The empty store with the cost model tests' rate card."""
    card = f'{store.state_path}/card.json'
    with open(card, 'w') as stream:
        json.dump(cards.BASE, stream)
    store.set_override('rate_card_file', card, group='cost_model')
    return store


@pytest.fixture
def cost_store(card_store):
    context = k_context.get_admin_context()
    add_fleet(context, HOURS)
    return card_store, context
