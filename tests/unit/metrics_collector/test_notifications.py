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
import uuid

from oslo_db import exception as db_exc
import oslo_messaging
import pandas as pd
from kcloud_analyzer.common import metrics as m
from kcloud_analyzer.metrics_collector import ingest
from kcloud_analyzer.metrics_collector import notifications
from tests.unit.metrics_collector.conftest import notification

HANDLED = oslo_messaging.NotificationResult.HANDLED
REQUEUE = oslo_messaging.NotificationResult.REQUEUE


def ceilometer_sample(resource_id, name, volume, timestamp, secret=None,
                      **metadata):
    sample = {
        'source': 'openstack', 'counter_name': name, 'counter_type': 'gauge',
        'counter_unit': '%', 'counter_volume': volume,
        'user_id': 'u', 'project_id': 'p', 'resource_id': resource_id,
        'timestamp': timestamp, 'resource_metadata': metadata,
        'message_id': str(uuid.uuid4()), 'monotonic_time': None,
    }
    if secret:
        sample['message_signature'] = notifications.compute_signature(
            sample, secret)
    return sample


def _ingestor(db, context, window=300):
    return ingest.Ingestor(context, window, db=db)


def _rollups(db, context, **filters):
    return {(r['workload_id'], r['metric'], r['window_start']): r
            for r in db.rollup_list(context, **filters)}


def test_signature_roundtrip_and_tampering():
    sample = ceilometer_sample('vm', 'cpu_util', 10.0,
                               '2026-01-01T00:00:00', secret='s3cret',
                               flavor={'vcpus': 2}, tags=['a', 'b'])
    assert notifications.verify_signature(sample, 's3cret')
    assert not notifications.verify_signature(sample, 'other')
    sample['counter_volume'] = 99.0
    assert not notifications.verify_signature(sample, 's3cret')


def test_ceilometer_batch_rolls_up_and_redelivery_counts_once(db, context):
    endpoint = notifications.CeilometerEndpoint(_ingestor(db, context))
    message = notification('metering', [
        ceilometer_sample('vm-1', 'cpu_util', value, '2026-01-01T00:0%d:00'
                          % minute)
        for minute, value in ((0, 10.0), (1, 20.0), (2, 60.0))])
    assert endpoint.sample([message]) == HANDLED
    assert endpoint.sample([message]) == HANDLED
    [row] = _rollups(db, context).values()
    assert (row['workload_id'], row['metric']) == ('vm-1', m.CPU_UTILIZATION)
    assert (row['mean'], row['min'], row['max'], row['count']) == (
        30.0, 10.0, 60.0, 3)
    assert row['window_start'] == datetime.datetime(2026, 1, 1)
    assert endpoint.stats.duplicates == 1


def test_malformed_message_does_not_harm_its_batch(db, context):
    endpoint = notifications.CeilometerEndpoint(_ingestor(db, context))
    good = notification('metering', [ceilometer_sample(
        'vm-1', 'power', 200.0, '2026-01-01T00:00:00')])
    not_a_list = notification('metering', {'counter_name': 'cpu'})
    missing_volume = notification('metering', [{'counter_name': 'cpu_util',
                                                'resource_id': 'vm-1'}])
    bad_time = notification('metering', [ceilometer_sample(
        'vm-1', 'power', 1.0, 'yesterday')])
    assert endpoint.sample([not_a_list, good, missing_volume, bad_time]) \
        == HANDLED
    [row] = _rollups(db, context).values()
    assert (row['metric'], row['count'], row['mean']) == (
        m.POWER_WATTS, 1, 200.0)
    assert endpoint.stats.malformed == 3
    # the messages whose bad samples were refused still count as handled
    assert endpoint.stats.messages == 3


def test_signatures_are_checked_when_a_secret_is_set(db, context):
    endpoint = notifications.CeilometerEndpoint(_ingestor(db, context),
                                                telemetry_secret='s3cret')
    signed = ceilometer_sample('vm-1', 'power', 100.0, '2026-01-01T00:00:00',
                               secret='s3cret')
    forged = ceilometer_sample('vm-1', 'power', 900.0, '2026-01-01T00:00:10',
                               secret='guess')
    unsigned = ceilometer_sample('vm-1', 'power', 900.0,
                                 '2026-01-01T00:00:20')
    assert endpoint.sample([notification('metering',
                                         [signed, forged, unsigned])]) \
        == HANDLED
    [row] = _rollups(db, context).values()
    assert (row['count'], row['mean']) == (1, 100.0)
    assert endpoint.stats.bad_signature == 2


class _DownDatabase:
    """Stands in for a database server that is down: raising the error
    oslo.db raises then cannot be produced with SQLite on demand."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise db_exc.DBConnectionError('connection refused')
        return fail


def _power_message(second):
    return notification('metering', [ceilometer_sample(
        'vm-1', 'power', 100.0, '2026-01-01T00:00:%02d' % second)])


def _store_elsewhere(ingestor, message, second):
    """What another agent given the same message stores."""
    message_id = message['metadata']['message_id']
    ingestor.store(pd.DataFrame({
        'resource_id': ['vm-1'], 'metric': ['power_watts'],
        'timestamp': [1767225600.0 + second], 'value': [100.0],
        'message_id': [message_id]}), [message_id])


def test_message_stored_by_another_agent_before_is_skipped(db, context):
    message = _power_message(0)
    assert notifications.CeilometerEndpoint(
        _ingestor(db, context)).sample([message]) == HANDLED
    # a redelivery to another agent: its write is refused as a whole,
    # the look-up then leaves the message out
    endpoint = notifications.CeilometerEndpoint(_ingestor(db, context))
    assert endpoint.sample([message, _power_message(10)]) == HANDLED
    [row] = db.rollup_list(context, workload_id='vm-1')
    assert row['count'] == 2
    assert (endpoint.stats.duplicates, endpoint.stats.samples) == (1, 1)


def test_messages_recorded_meanwhile_are_requeued_then_skipped(db, context):
    first, second = _power_message(0), _power_message(10)
    # Another agent stores the first message just before this agent's
    # write, and the second between this agent's look-up of the ids
    # stored and its second write.
    other = ingest.Ingestor(context, 300, db=db)
    calls = []

    class _Meanwhile:
        def __getattr__(self, name):
            return getattr(db, name)

        def rollups_upsert(self, *args, **kwargs):
            calls.append('write')
            if calls.count('write') == 1:
                _store_elsewhere(other, first, 0)
            return db.rollups_upsert(*args, **kwargs)

        def message_ids_seen(self, *args, **kwargs):
            calls.append('look-up')
            seen = db.message_ids_seen(*args, **kwargs)
            _store_elsewhere(other, second, 10)
            return seen

    ingestor = ingest.Ingestor(context, 300, db=_Meanwhile())
    endpoint = notifications.CeilometerEndpoint(ingestor)
    assert endpoint.sample([first, second]) == REQUEUE
    assert calls == ['write', 'look-up', 'write']
    # the redelivery finds both messages recorded and counts nothing twice
    ingestor.db = db
    assert endpoint.sample([first, second]) == HANDLED
    [row] = db.rollup_list(context, workload_id='vm-1')
    assert row['count'] == 2
    assert endpoint.stats.samples == 0


def test_database_down_requeues_and_releases_the_claims(db, context):
    ingestor = ingest.Ingestor(context, 300, db=_DownDatabase(),
                               resolver=ingest.WorkloadResolver(context, db))
    endpoint = notifications.CeilometerEndpoint(ingestor)
    message = notification('metering', [ceilometer_sample(
        'vm-1', 'power', 100.0, '2026-01-01T00:00:00')])
    assert endpoint.sample([message]) == REQUEUE
    assert endpoint.stats.requeued == 1
    # the redelivery is stored once the database is back
    ingestor.db = db
    assert endpoint.sample([message]) == HANDLED
    [row] = _rollups(db, context).values()
    assert row['count'] == 1


def ironic_metrics(instance_uuid, timestamp, sensors):
    return {
        'message_id': str(uuid.uuid4()), 'instance_uuid': instance_uuid,
        'node_uuid': 'node-1', 'event_type': 'hardware.ipmi.metrics',
        'timestamp': timestamp, 'payload': sensors,
    }


def test_ironic_power_uses_the_total_sensor(db, context):
    endpoint = notifications.IronicSensorEndpoint(_ingestor(db, context))
    sensors = {
        'Temperature': {'Temp (0x1)': {
            'Sensor Reading': '26 (+/- 0.500) degrees C'}},
        'Current': {
            'PSU1 Input (0x60)': {'Sensor Reading': '240 (+/- 0) Watts'},
            'PSU2 Input (0x61)': {'Sensor Reading': '250 (+/- 0) Watts'},
            'Pwr Consumption (0x62)': {
                'Sensor Reading': '490 (+/- 0) Watts'},
        },
    }
    supplies_only = {'Power': {
        'PS1 (0x1)': {'Sensor Reading': '100 (+/- 0) Watts'},
        'PS2 (0x2)': {'Sensor Reading': '110 (+/- 0) Watts'},
        'PS3 (0x3)': {'Sensor Reading': 'Disabled'},
    }}
    messages = [
        notification('hardware.ipmi.metrics', ironic_metrics(
            'vm-9', '2026-01-01T00:00:00', sensors)),
        notification('hardware.ipmi.metrics', ironic_metrics(
            'vm-9', '2026-01-01T00:01:00', supplies_only)),
    ]
    assert endpoint.info(messages) == HANDLED
    [row] = _rollups(db, context).values()
    assert (row['workload_id'], row['metric']) == ('vm-9', m.POWER_WATTS)
    assert (row['min'], row['max'], row['count']) == (210.0, 490.0, 2)


def _same_rows(left, right):
    # NaN == NaN here: the rows are compared field by field
    return len(left) == len(right) and all(
        len(a) == len(b) and all(x == y or (x != x and y != y)
                                 for x, y in zip(a, b, strict=True))
        for a, b in zip(left, right, strict=True))


def test_payload_read_at_once_gives_the_rows_of_each_sample():
    endpoint = notifications.CeilometerEndpoint(
        ingest.Ingestor(None, 300, db=object(), resolver=object()))
    payload = [
        ceilometer_sample('vm-1', 'cpu_util', 10.5, '2026-01-01T00:00:00',
                          vcpus=4, memory_mb=8192),
        ceilometer_sample('vm-1', 'memory.usage', 2048, '2026-01-01T00:00:00',
                          flavor={'vcpus': 2, 'ram': 4096}),
        ceilometer_sample('vda', 'disk.device.read.bytes', 10 ** 12,
                          '2026-01-01T00:00:30', instance_id='vm-2'),
        ceilometer_sample('vm-3', 'power', None, '2026-01-01T00:00:30'),
    ]
    one_by_one = endpoint._row
    endpoint._row = None  # read at once, not sample by sample
    rows, problems = endpoint.parse(notification('metering', payload))
    endpoint._row = one_by_one
    assert problems == []
    assert _same_rows(rows, [endpoint._row(s) for s in payload])
    assert rows[2][:2] == ('vm-2', 'vda')
    assert rows[1][5:] == (2.0, 4096.0)
    # what the whole payload cannot hold is read sample by sample: the
    # boolean, the 400-digit integer and the list become NaN (refused
    # later), the sample without a resource id is counted and skipped
    odd = payload + [
        ceilometer_sample('vm-4', 'power', True, '2026-01-01T00:00:30'),
        ceilometer_sample('vm-4', 'power', 10 ** 400, '2026-01-01T00:00:30'),
        ceilometer_sample('vm-4', 'power', [1], '2026-01-01T00:00:30'),
        {'counter_name': 'power'},
    ]
    rows, problems = endpoint.parse(notification('metering', odd))
    assert _same_rows(rows, [endpoint._row(s) for s in odd[:-1]])
    assert [row[4] != row[4] for row in rows[-3:]] == [True] * 3
    assert len(problems) == 1 and 'KeyError' in problems[0]
    assert endpoint.stats.malformed == 1
