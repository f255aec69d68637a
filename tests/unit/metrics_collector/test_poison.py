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
"""Poison notifications, one by one: each is refused, counted and
dead-lettered, and never takes a valid sample of its batch with it."""

import json
import math

from oslo_db import exception as db_exc
import oslo_messaging
import pytest

from kcloud_analyzer.common import metrics as m
from kcloud_analyzer.common import prometheus
from kcloud_analyzer.db.api import rollups
from kcloud_analyzer.metrics_collector import ingest
from kcloud_analyzer.metrics_collector import normalise
from kcloud_analyzer.metrics_collector import notifications
from kcloud_analyzer.metrics_collector import nova
from tests.unit.metrics_collector.conftest import notification
from tests.unit.metrics_collector.test_notifications import \
    ceilometer_sample

HANDLED = oslo_messaging.NotificationResult.HANDLED
REQUEUE = oslo_messaging.NotificationResult.REQUEUE
TIME = '2026-01-01T00:00:00'


class _DeadLetters:
    """Records what would go to ``<topic>.dlq``."""

    topic = 'metering'

    def __init__(self):
        self.sent = []

    def send(self, message, priority, reason):
        self.sent.append((message['metadata'].get('message_id'), priority,
                          reason))


def _endpoint(db, context, ingestor=None):
    letters = _DeadLetters()
    endpoint = notifications.CeilometerEndpoint(
        ingestor or ingest.Ingestor(context, 300, db=db),
        dead_letters=letters)
    return endpoint, letters


def _stored(db, context):
    return {(r['workload_id'], r['metric']): r['count']
            for r in db.rollup_list(context)}


def _malformed(reason):
    return prometheus.value('kcloud_analyzer_samples_malformed_total',
                            {'reason': reason})


def _from_json(text):
    """What oslo.messaging's JSON decoding hands the endpoint."""
    return json.loads(text)


POISON = [
    # (case, counter_name, counter_volume, resource_id, timestamp, reason)
    ('400-digit integer', 'power', _from_json('1' + '0' * 399),
     'vm-bad', TIME, normalise.NOT_FINITE),
    ('NaN', 'power', _from_json('NaN'), 'vm-bad', TIME,
     normalise.NOT_FINITE),
    ('Infinity', 'power', _from_json('Infinity'), 'vm-bad', TIME,
     normalise.NOT_FINITE),
    ('-Infinity', 'power', _from_json('-Infinity'), 'vm-bad', TIME,
     normalise.NOT_FINITE),
    ('1e308 watts', 'power', 1e308, 'vm-bad', TIME, normalise.OUT_OF_BOUNDS),
    ('negative watts', 'power', -500.0, 'vm-bad', TIME,
     normalise.OUT_OF_BOUNDS),
    ('10^300 bytes a second', 'network.incoming.bytes.rate', 1e300,
     'vm-bad', TIME, normalise.OUT_OF_BOUNDS),
    ('150 %', 'cpu_util', 150.0, 'vm-bad', TIME, normalise.OUT_OF_BOUNDS),
    ('a string volume', 'power', 'lots', 'vm-bad', TIME,
     normalise.NOT_FINITE),
    ('a boolean volume', 'power', True, 'vm-bad', TIME,
     normalise.NOT_FINITE),
    ('NUL in the resource id', 'power', 10.0, 'vm\x00bad', TIME,
     normalise.BAD_IDENTIFIER),
    ('256-character resource id', 'power', 10.0, 'v' * 256, TIME,
     normalise.BAD_IDENTIFIER),
    ('lone surrogate in the resource id', 'power', 10.0, 'vm-\ud800', TIME,
     normalise.BAD_IDENTIFIER),
    ('empty resource id', 'power', 10.0, '', TIME, normalise.BAD_IDENTIFIER),
    ('year 3000', 'power', 10.0, 'vm-bad', '3000-01-01T00:00:00',
     normalise.BAD_TIMESTAMP),
    ('before the epoch', 'power', 10.0, 'vm-bad', '1900-01-01T00:00:00',
     normalise.BAD_TIMESTAMP),
    ('not a time', 'power', 10.0, 'vm-bad', 'yesterday',
     normalise.BAD_TIMESTAMP),
]


@pytest.mark.parametrize('case,meter,volume,resource_id,timestamp,reason',
                         POISON, ids=[p[0] for p in POISON])
def test_poison_sample_is_refused_alone(db, context, case, meter, volume,
                                        resource_id, timestamp, reason):
    endpoint, letters = _endpoint(db, context)
    before = _malformed(reason)
    # the poison shares its message and its batch with valid samples
    mixed = notification('metering', [
        ceilometer_sample('vm-ok', 'power', 100.0, TIME),
        ceilometer_sample(resource_id, meter, volume, timestamp),
    ])
    valid = notification('metering', [
        ceilometer_sample('vm-ok2', 'power', 50.0, TIME)])
    assert endpoint.sample([mixed, valid]) == HANDLED
    assert _stored(db, context) == {('vm-ok', m.POWER_WATTS): 1,
                                    ('vm-ok2', m.POWER_WATTS): 1}
    assert _malformed(reason) == before + 1
    [(message_id, priority, why)] = letters.sent
    assert message_id == mixed['metadata']['message_id']
    assert priority == 'sample'
    assert reason in why
    # redelivered, nothing is counted twice
    assert endpoint.sample([mixed, valid]) == HANDLED
    assert _stored(db, context) == {('vm-ok', m.POWER_WATTS): 1,
                                    ('vm-ok2', m.POWER_WATTS): 1}


@pytest.mark.parametrize('payload', [
    {'counter_name': 'power'},
    'a string',
    None,
    [None],
    [['a', 'list']],
    [{'counter_name': 'power', 'resource_id': {'a': 'dict'},
      'counter_volume': 1.0, 'timestamp': TIME}],
], ids=['dict', 'string', 'null', 'null sample', 'list sample',
        'dict resource id'])
def test_unparseable_message_is_dead_lettered(db, context, payload):
    endpoint, letters = _endpoint(db, context)
    bad = notification('metering', payload)
    valid = notification('metering', [
        ceilometer_sample('vm-ok', 'power', 100.0, TIME)])
    before = _malformed(normalise.MALFORMED_MESSAGE)
    assert endpoint.sample([bad, valid]) == HANDLED
    assert _stored(db, context) == {('vm-ok', m.POWER_WATTS): 1}
    assert _malformed(normalise.MALFORMED_MESSAGE) == before + 1
    assert [sent[0] for sent in letters.sent] == [
        bad['metadata']['message_id']]


def test_message_without_id_is_dead_lettered(db, context):
    endpoint, letters = _endpoint(db, context)
    bad = notification('metering', [ceilometer_sample('vm-1', 'power', 1.0,
                                                      TIME)])
    bad['metadata'] = {}
    assert endpoint.sample([bad]) == HANDLED
    assert len(letters.sent) == 1 and 'no message id' in letters.sent[0][2]
    assert _stored(db, context) == {}


def test_long_message_id_is_hashed_and_counted_once(db, context):
    endpoint, letters = _endpoint(db, context)
    message = notification('metering', [ceilometer_sample(
        'vm-1', 'power', 1.0, TIME)], message_id='x' * 300)
    assert endpoint.sample([message]) == HANDLED
    assert endpoint.sample([message]) == HANDLED
    assert _stored(db, context) == {('vm-1', m.POWER_WATTS): 1}
    assert letters.sent == []
    assert len(notifications._message_id(message)) <= 64


def test_percent_jitter_is_clipped():
    samples = normalise.empty_samples(['message_id'])
    samples.loc[0] = ['vm', m.CPU_UTILIZATION, 0.0, 104.0, 'a']
    samples.loc[1] = ['vm', m.CPU_UTILIZATION, 0.0, 111.0, 'b']
    valid, refused = normalise.validate_samples(samples, now=1.0)
    assert list(valid['value']) == [100.0]
    assert list(refused['message_id']) == ['b']


class _RefusingDatabase:
    """The real store, except that it refuses (as PostgreSQL refuses a
    value it cannot hold) every batch holding a row of ``poison``."""

    def __init__(self, db, poison):
        self._db = db
        self._poison = poison
        self.upserts = 0

    def __getattr__(self, name):
        return getattr(self._db, name)

    def rollups_upsert(self, context, rows, message_ids=()):
        self.upserts += 1
        if self._poison in set(rollups._rollup_frame(rows)['workload_id']):
            raise db_exc.DBDataError('value out of range')
        return self._db.rollups_upsert(context, rows,
                                       message_ids=message_ids)


def test_refused_batch_is_bisected_down_to_the_bad_message(db, context):
    refusing = _RefusingDatabase(db, 'vm-poison')
    ingestor = ingest.Ingestor(context, 300, db=refusing,
                               resolver=ingest.WorkloadResolver(context, db))
    endpoint, letters = _endpoint(db, context, ingestor)
    messages = [notification('metering', [ceilometer_sample(
        'vm-%02d' % i, 'power', 10.0 + i, TIME)]) for i in range(16)]
    poison = notification('metering', [
        ceilometer_sample('vm-poison', 'power', 1.0, TIME)])
    messages.insert(9, poison)
    assert endpoint.sample(messages) == HANDLED
    stored = _stored(db, context)
    assert stored == {('vm-%02d' % i, m.POWER_WATTS): 1 for i in range(16)}
    assert [sent[0] for sent in letters.sent] == [
        poison['metadata']['message_id']]
    assert 'DBDataError' in letters.sent[0][2]
    # log2(17) levels of halves, not one transaction per message
    assert refusing.upserts <= 2 * math.ceil(math.log2(17)) + 1
    # the dead-lettered message is not recorded: a replay may store it
    # once the store accepts it
    assert db.message_ids_seen(context, [
        poison['metadata']['message_id']]) == set()


def test_outage_still_requeues_the_whole_batch(db, context):
    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise db_exc.DBConnectionError('connection refused')
            return fail

    ingestor = ingest.Ingestor(context, 300, db=Down(),
                               resolver=ingest.WorkloadResolver(context, db))
    endpoint, letters = _endpoint(db, context, ingestor)
    message = notification('metering', [ceilometer_sample(
        'vm-1', 'power', 1.0, TIME)])
    assert endpoint.sample([message]) == REQUEUE
    assert letters.sent == []


def _nova(uuid, tenant='p', display_name='vm', metadata=None):
    return notification('instance.create.end', {'nova_object.data': {
        'uuid': uuid, 'tenant_id': tenant, 'display_name': display_name,
        'metadata': metadata or {},
        'flavor': {'nova_object.data': {'vcpus': 2, 'memory_mb': 2048,
                                        'extra_specs': {}}}}})


@pytest.mark.parametrize('message', [
    _nova('u' * 37),
    _nova('vm\x00'),
    _nova('a-uuid', tenant='t' * 256),
    _nova('a-uuid', metadata={'kcloud:workload_id': 'w' * 300}),
    _nova(['not', 'a', 'string']),
], ids=['long uuid', 'NUL uuid', 'long project', 'long workload id',
        'list uuid'])
def test_nova_poison_is_dead_lettered(db, context, message):
    letters = _DeadLetters()
    endpoint = nova.NovaInstanceEndpoint(
        context, db, ingest.IngestStats(), dead_letters=letters)
    good = _nova('good-uuid', display_name='na\x00me' + 'x' * 300)
    assert endpoint.info([message, good]) == HANDLED
    assert len(letters.sent) == 1
    workload = db.workload_get(context, 'good-uuid')
    assert workload['name'] == 'name' + 'x' * 251
