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
"""Rollups exported by the agent to Debian's InfluxDB 1.6 (started here),
read back with InfluxQL."""

import datetime
import shutil
import uuid

import pandas as pd
import pytest
import requests

from kcloud_analyzer.agent import service as agent_service
from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.metrics_collector import ingest
from tests import fixtures
from tests.functional.collector import services

DATABASE = 'kca_test'


@pytest.fixture(scope='module')
def influx_url(tmp_path_factory):
    binary = shutil.which('influxd')
    assert binary, 'influxd is not installed (tools/ci/setup-influxdb.sh)'
    folder = tmp_path_factory.mktemp('influxdb')
    port, rpc_port = services.free_port(), services.free_port()
    config = folder / 'influxdb.conf'
    config.write_text(
        'reporting-disabled = true\nbind-address = "127.0.0.1:%d"\n'
        '[meta]\n  dir = "%s"\n[data]\n  dir = "%s"\n  wal-dir = "%s"\n'
        '[http]\n  bind-address = "127.0.0.1:%d"\n  log-enabled = false\n'
        % (rpc_port, folder / 'meta', folder / 'data', folder / 'wal', port))
    url = 'http://127.0.0.1:%d' % port

    def ready():
        try:
            return requests.get(url + '/ping', timeout=1).status_code == 204
        except requests.ConnectionError:
            return False

    with services.process([binary, '-config', str(config)], ready=ready,
                          timeout=30):
        requests.post(url + '/query', data={
            'q': 'CREATE DATABASE %s' % DATABASE}).raise_for_status()
        yield url


def _points(url, workload):
    response = requests.get(url + '/query', params={
        'db': DATABASE, 'epoch': 's',
        'q': "SELECT mean, min, max, \"count\", metric FROM usage_rollup "
             "WHERE workload_id = '%s'" % workload})
    response.raise_for_status()
    series = response.json()['results'][0].get('series', [])
    if not series:
        return {}
    columns = series[0]['columns']
    return {(row[columns.index('metric')], row[0]): row
            for row in series[0]['values']}


def _samples(workload, start, values):
    return pd.DataFrame({
        'resource_id': workload, 'metric': 'power_watts',
        'timestamp': [start + 10.0 * i for i in range(len(values))],
        'value': values, 'message_id': 'm-%s' % uuid.uuid4()})


def test_agent_exports_merged_rollups(influx_url, pg_url, redis_url):
    conf = services.make_conf({
        ('database', 'connection'): pg_url,
        ('coordination', 'backend_url'): redis_url,
        ('agent', 'coordination_group'): 'kca-influx-%s' % uuid.uuid4().hex,
        ('influxdb', 'url'): influx_url,
        ('influxdb', 'database'): DATABASE,
        ('collector', 'enabled'): [],
        (None, 'collection_interval'): 1,
    })
    fixtures.use_store(conf)
    context = kcontext.get_admin_context()
    ingestor = ingest.Ingestor(context, 300, db=db_api)
    agent = agent_service.AgentService(conf, listen=False,
                                       member_id='influx-' + uuid.uuid4().hex)
    workload = 'wl-%s' % uuid.uuid4().hex[:8]
    window = datetime.datetime(2026, 4, 1, 10, 0)
    start = window.replace(tzinfo=datetime.UTC).timestamp()
    agent.start()
    try:
        first = _samples(workload, start, [100.0, 200.0])
        ingestor.store(first, list(first['message_id'].unique()))
        key = ('power_watts', int(start))
        point = services.wait_for(
            lambda: _points(influx_url, workload).get(key), 10,
            what='the rollup in InfluxDB')
        assert point[1:5] == [150.0, 100.0, 200.0, 2]

        # more samples of the same window: the point becomes the merge
        second = _samples(workload, start + 100, [600.0])
        ingestor.store(second, list(second['message_id'].unique()))
        point = services.wait_for(
            lambda: (_points(influx_url, workload).get(key) or [0] * 5)[4] == 3
            and _points(influx_url, workload)[key], 10,
            what='the merged rollup in InfluxDB')
        [row] = db_api.rollup_list(context, workload_id=workload)
        assert point[1:5] == [row['mean'], row['min'], row['max'],
                              row['count']] == [300.0, 100.0, 600.0, 3]
    finally:
        agent.stop()
