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
"""Ceilometer-, Ironic- and Nova-shaped notifications through the real
RabbitMQ into PostgreSQL rollups."""

import datetime
import threading
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import metrics as m
from kcloud_analyzer.common import rpc
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.metrics_collector import ingest
from kcloud_analyzer.metrics_collector import notifications
from tests.functional.collector import services

SECRET = 'functional-secret'


def _sample(resource_id, name, volume, when, secret=SECRET, **metadata):
    sample = {
        'source': 'openstack', 'counter_name': name, 'counter_type': 'gauge',
        'counter_unit': 'W', 'counter_volume': volume, 'user_id': 'u',
        'project_id': 'p', 'resource_id': resource_id,
        'timestamp': when.isoformat(), 'resource_metadata': metadata,
        'message_id': str(uuid.uuid4()),
    }
    sample['message_signature'] = notifications.compute_signature(sample,
                                                                  secret)
    return sample


def _nova(instance_id, workload_id, vcpus, memory_mb, alias):
    return {'nova_object.name': 'InstanceActionPayload',
            'nova_object.data': {
                'uuid': instance_id, 'tenant_id': 'proj-f',
                'display_name': instance_id, 'state': 'active',
                'metadata': {'kcloud:workload_id': workload_id},
                'flavor': {'nova_object.data': {
                    'vcpus': vcpus, 'memory_mb': memory_mb,
                    'extra_specs': {'pci_passthrough:alias': alias}}}}}


@pytest.fixture
def bus(rabbit_url, broker):
    """A listener with the real endpoints on topics unique to this test
    (their queues are deleted at its end)."""
    conf = services.make_conf()
    transport = rpc.get_transport(conf, url=rabbit_url)
    topics = [broker.topic('kca-ft')]
    context = kcontext.get_admin_context()

    def start(db, window=300):
        ingestor = ingest.Ingestor(context, window, db=db)
        endpoints = notifications.endpoints(ingestor, context, db,
                                            telemetry_secret=SECRET)
        listener = rpc.get_batch_listener(transport, topics, endpoints,
                                          pool=topics[0], batch_size=50,
                                          batch_timeout=1)
        listener.start()
        started.append(listener)
        return ingestor

    started = []
    notifier = rpc.get_notifier(transport, 'functional', topics)
    yield start, notifier, context
    for listener in started:
        listener.stop()
        listener.wait()
    transport.cleanup()


def test_rollups_in_postgresql_match_what_was_sent(db, bus):
    start, notifier, context = bus
    ingestor = start(db)
    workload = 'job-%s' % uuid.uuid4().hex[:8]
    instances = [str(uuid.uuid4()) for _ in range(2)]
    for instance in instances:
        notifier.info({}, 'instance.create.end',
                      _nova(instance, workload, 8, 32768, 'a100:1'))
    services.wait_for(lambda: ingestor.stats.messages >= 2, 20,
                      what='the Nova notifications')

    base = datetime.datetime(2026, 3, 1, 12, 0, 0)
    sent = []   # (metric, value, window start) of every valid sample
    for batch in range(20):
        samples = []
        for k in range(10):
            when = base + datetime.timedelta(seconds=37 * (batch * 10 + k))
            power = float(100 + (batch * 7 + k * 13) % 250)
            cpu = float((batch * 3 + k * 11) % 100)
            instance = instances[k % 2]
            samples.append(_sample(instance, 'power', power, when))
            samples.append(_sample(instance, 'cpu_util', cpu, when))
            start_of_window = when.replace(
                minute=when.minute - when.minute % 5, second=0)
            sent += [(m.POWER_WATTS, power, start_of_window),
                     (m.CPU_UTILIZATION, cpu, start_of_window)]
        # a forged sample inside a valid message is dropped alone
        samples.append(_sample(instances[0], 'power', 1e6, base,
                               secret='forged'))
        notifier.sample({}, 'metering', samples)
    ironic_when = base + datetime.timedelta(minutes=2)
    notifier.info({}, 'hardware.ipmi.metrics', {
        'message_id': str(uuid.uuid4()), 'instance_uuid': instances[1],
        'node_uuid': 'node-f', 'timestamp': ironic_when.isoformat(),
        'event_type': 'hardware.ipmi.metrics',
        'payload': {'Power': {'Pwr Consumption (0x1)': {
            'Sensor Reading': '650 (+/- 0) Watts'}}}})
    sent.append((m.POWER_WATTS, 650.0, base))
    # malformed: a payload that is not a list of samples, and a sample
    # without a timestamp
    notifier.sample({}, 'metering', {'counter_name': 'power'})
    no_timestamp = {'counter_name': 'power', 'counter_volume': 1.0,
                    'resource_id': instances[0]}
    no_timestamp['message_signature'] = notifications.compute_signature(
        no_timestamp, SECRET)
    notifier.sample({}, 'metering', [no_timestamp])

    services.wait_for(
        lambda: ingestor.stats.samples >= 401 and
        ingestor.stats.malformed >= 2, 30,
        what='all notifications to be handled')
    assert ingestor.stats.malformed == 2
    assert ingestor.stats.bad_signature == 20

    expected = {}
    for metric, value, window in sent:
        expected.setdefault((metric, window), []).append(value)
    stored = {(r['metric'], r['window_start']): r
              for r in db.rollup_list(context, workload_id=workload)}
    assert set(stored) == set(expected)
    for key, values in expected.items():
        row = stored[key]
        assert row['count'] == len(values), key
        assert row['min'] == min(values) and row['max'] == max(values)
        assert row['mean'] == pytest.approx(sum(values) / len(values),
                                            rel=1e-12)
    assert sum(r['count'] for r in stored.values()) == 401

    record = db.workload_get(context, workload)
    assert sorted(record['instances']) == sorted(instances)
    assert record['resources']['cpu_cores'] == 16
    assert record['resources']['gpu_count'] == 2
    assert record['resources']['memory_gb'] == 64.0


def test_database_down_requeues_until_it_is_back(pg_url, bus):
    from kcloud_analyzer.db import api as db_api
    start, notifier, context = bus
    port = services.free_port()
    # the same database behind a port nothing listens on
    services.configure_db(sa.engine.make_url(pg_url).set(
        host='127.0.0.1', port=port).render_as_string(hide_password=False))
    ingestor = start(db_api)
    workload = str(uuid.uuid4())
    when = datetime.datetime(2026, 3, 2, 8, 1, 0)
    notifier.sample({}, 'metering', [
        _sample(workload, 'power', 300.0, when),
        _sample(workload, 'power', 500.0,
                when + datetime.timedelta(seconds=30))])
    services.wait_for(lambda: ingestor.stats.requeued >= 2, 30,
                      what='the batch to be requeued')
    services.configure_db(pg_url)
    services.wait_for(
        lambda: db_api.rollup_list(context, workload_id=workload), 30,
        what='the requeued batch to be stored')
    [row] = db_api.rollup_list(context, workload_id=workload)
    assert (row['count'], row['mean'], row['min'], row['max']) == (
        2, 400.0, 300.0, 500.0)
    assert row['window_start'] == datetime.datetime(2026, 3, 2, 8, 0)


def test_one_message_stored_by_two_agents_at_once_counts_once(db):
    context = kcontext.get_admin_context()
    workload = str(uuid.uuid4())
    samples = pd.DataFrame({
        'resource_id': workload, 'metric': m.POWER_WATTS,
        'timestamp': [1767225600.0 + i for i in range(50)],
        'value': [float(i) for i in range(50)],
        'message_id': 'redelivered-%s' % uuid.uuid4()})
    # two agents: separate ingestors, each with its own in-memory claims
    agents = [ingest.Ingestor(context, 300, db=db) for _ in range(2)]
    start = threading.Barrier(2)
    outcomes = []

    def store(agent):
        start.wait()
        try:
            outcomes.append(agent.store(samples,
                                        [samples['message_id'][0]]))
        except db_api.RETRYABLE_ERRORS as error:
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=store, args=(a,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # one stored the batch; the other found it stored or lost the claim
    # and rolled back (its batch would be requeued and then skipped)
    assert sorted(map(str, outcomes)) in (['0', '50'],
                                          ['50', 'MessagesAlreadyRecorded'])
    [row] = db.rollup_list(context, workload_id=workload)
    assert row['count'] == 50
