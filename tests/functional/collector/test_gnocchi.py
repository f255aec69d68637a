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
"""The gnocchi collector against Gnocchi from PyPI (PostgreSQL indexer,
file storage, basic auth, metricd) with measures pushed through its API."""

import datetime
import time
import uuid

from gnocchiclient import auth as gnocchi_auth
from gnocchiclient import client as gnocchi_client
from gnocchiclient import exceptions as gnocchi_exc
import pytest

from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import metrics as m
from kcloud_analyzer.metrics_collector.collectors import gnocchi
from kcloud_analyzer.metrics_collector import ingest
from tests.functional.collector import services


def _client(url):
    return gnocchi_client.Client('1', session_options={
        'auth': gnocchi_auth.GnocchiBasicPlugin(user='admin',
                                                endpoint=url)})


def test_gnocchi_collector_reads_measures_back(gnocchi_url, db):
    client = _client(gnocchi_url)
    try:
        # the resource type Ceilometer creates in Gnocchi
        client.resource_type.create({'name': 'instance', 'attributes': {
            'display_name': {'type': 'string', 'required': False},
            'flavor_name': {'type': 'string', 'required': False}}})
    except gnocchi_exc.ResourceTypeAlreadyExists:
        pass
    policy = 'kca-%s' % uuid.uuid4().hex[:8]
    client.archive_policy.create({
        'name': policy, 'aggregation_methods': ['mean', 'rate:mean'],
        'definition': [{'granularity': '60s', 'timespan': '1 day'}]})
    instance = str(uuid.uuid4())
    resource = client.resource.create('instance', {
        'id': instance, 'display_name': 'train-0',
        'metrics': {name: {'archive_policy_name': policy}
                    for name in ('cpu', 'memory.usage', 'vcpus', 'memory')}})
    metric_ids = resource['metrics']

    start = datetime.datetime.now(datetime.UTC).replace(
        second=0, microsecond=0) - datetime.timedelta(minutes=10)
    minutes = [start + datetime.timedelta(minutes=i) for i in range(3)]

    def measures(values):
        return [{'timestamp': t.isoformat(), 'value': v}
                for t, v in zip(minutes, values, strict=True)]

    # 4 vCPUs busy 50 % then 100 % of a minute: 120e9 then 240e9 ns
    client.metric.add_measures(metric_ids['cpu'],
                               measures([0.0, 120e9, 360e9]))
    client.metric.add_measures(metric_ids['memory.usage'],
                               measures([2048.0, 4096.0, 6144.0]))
    client.metric.add_measures(metric_ids['vcpus'], measures([4, 4, 4]))
    client.metric.add_measures(metric_ids['memory'],
                               measures([8192, 8192, 8192]))
    services.wait_for(
        lambda: all(len(client.metric.get_measures(metric_ids[name])) == 3
                    for name in ('cpu', 'memory.usage', 'vcpus', 'memory')),
        60, interval=0.5, what='gnocchi-metricd to process the measures')

    conf = services.make_conf({
        ('gnocchi_collector', 'auth_mode'): 'basic',
        ('gnocchi_collector', 'endpoint'): gnocchi_url,
        ('gnocchi_collector', 'basic_user'): 'admin',
    })
    collector = gnocchi.GnocchiCollector(conf)
    assert instance in collector.targets()
    now = time.time()
    samples = collector.poll([instance], now)
    got = sorted((r.metric, r.timestamp, r.value)
                 for r in samples.itertuples())
    epoch = [t.timestamp() for t in minutes]
    assert got == sorted([
        (m.CPU_UTILIZATION, epoch[1], pytest.approx(50.0)),
        (m.CPU_UTILIZATION, epoch[2], pytest.approx(100.0)),
        (m.MEMORY_UTILIZATION, epoch[0], pytest.approx(25.0)),
        (m.MEMORY_UTILIZATION, epoch[1], pytest.approx(50.0)),
        (m.MEMORY_UTILIZATION, epoch[2], pytest.approx(75.0)),
    ])
    # nothing new since the last read
    assert collector.poll([instance], now + 30).empty

    context = kcontext.get_admin_context()
    ingestor = ingest.Ingestor(context, 300, db=db)
    assert ingestor.store(samples, list(samples['message_id'].unique())) == 5
    # a restarted agent reads the same measures again: none counts twice
    restarted = gnocchi.GnocchiCollector(conf)
    again = restarted.poll([instance], now + 60)
    assert len(again) == 5
    assert ingestor.store(again, list(again['message_id'].unique())) == 0
    rows = db.rollup_list(context, workload_id=instance)
    assert sum(r['count'] for r in rows) == 5
