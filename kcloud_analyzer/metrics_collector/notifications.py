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
"""oslo.messaging batch notification endpoints.

- :class:`CeilometerEndpoint`: samples that Ceilometer's ``notifier://``
  publisher sends (event type ``metering``, priority ``sample``);
- :class:`IronicSensorEndpoint`: Ironic's ``hardware.ipmi.metrics``;
- :class:`~kcloud_analyzer.metrics_collector.nova.NovaInstanceEndpoint`
  (in :mod:`kcloud_analyzer.metrics_collector.nova`): Nova's versioned
  ``instance.create.end``, ``instance.update``, the
  ``instance.resize_*.end`` and ``instance.delete.end``, which create,
  update and end workloads.

Each batch is parsed message by message: a malformed message is logged,
counted and dropped while the rest of the batch goes on. The samples of a
batch are then normalised and stored together; when the database cannot be
reached the whole batch is requeued (the broker redelivers it, and the
message ids make sure nothing is counted twice).
"""

import hashlib
import hmac
import itertools
import operator
import time
import types

from oslo_log import log as logging
import numpy as np
import oslo_messaging
import pandas as pd

from kcloud_analyzer.common import prometheus
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.metrics_collector import deadletter
from kcloud_analyzer.metrics_collector import glance
from kcloud_analyzer.metrics_collector import neutron
from kcloud_analyzer.metrics_collector import normalise
from kcloud_analyzer.metrics_collector import nova

LOG = logging.getLogger(__name__)

#: the store keeps message ids of up to 64 characters
MAX_MESSAGE_ID_LENGTH = 64


_NO_METADATA = types.MappingProxyType({})
#: the fields every Ceilometer sample has, read in one pass
_SAMPLE_FIELDS = operator.itemgetter('resource_id', 'counter_name',
                                     'timestamp', 'counter_volume')


def _recursive_keypairs(data, separator=':'):
    for name, value in sorted(data.items()):
        if isinstance(value, dict):
            for subname, subvalue in _recursive_keypairs(value, separator):
                yield '%s%s%s' % (name, separator, subname), subvalue
        elif isinstance(value, (tuple, list)):
            yield name, [x.encode('utf-8') if isinstance(x, str) else x
                         for x in value]
        else:
            yield name, value


def compute_signature(message, secret):
    """The signature Ceilometer puts in ``message_signature``.

    HMAC-SHA256 over the sorted, flattened key/value pairs of the sample,
    as ``ceilometer.publisher.utils.compute_signature`` computes it.
    """
    if isinstance(secret, str):
        secret = secret.encode('utf-8')
    digest = hmac.new(secret, b'', hashlib.sha256)
    for name, value in _recursive_keypairs(message):
        if name == 'message_signature':
            continue
        digest.update(str(name).encode('utf-8'))
        digest.update(str(value).encode('utf-8'))
    return digest.hexdigest()


def verify_signature(message, secret):
    """True when ``message`` carries the signature made with ``secret``."""
    signature = message.get('message_signature', '')
    if not isinstance(signature, str):
        return False
    return hmac.compare_digest(compute_signature(message, secret),
                               signature)


def _epoch_seconds(values):
    """Epoch seconds of ISO 8601 timestamps (naive ones are UTC), as a
    float64 array; NaN where a timestamp cannot be parsed. Times beyond
    what nanoseconds hold (the year 3000) come out as the seconds they
    are, for validation to refuse. A batch's timestamps repeat: each
    distinct string is parsed once."""
    values = np.fromiter(values, dtype=object, count=len(values))
    if len(values) and set(map(type, values)) == {str}:
        codes, uniques = pd.factorize(values)
        return _parse_epoch_seconds(uniques)[codes]
    return _parse_epoch_seconds(values)


def _parse_epoch_seconds(values):
    parsed = pd.to_datetime(np.asarray(values, dtype=object), utc=True,
                            format='ISO8601', errors='coerce')
    milliseconds = parsed.as_unit('ms').asi8.astype('float64')
    return np.where(parsed.isna(), np.nan, milliseconds / 1000.0)


def _message_id(message):
    """The id the store records for ``message`` (a replay from a
    dead-letter queue keeps it), as a string that fits the store (a long or
    unprintable id is replaced by its hash)."""
    message_id = None
    metadata = message.get('metadata')
    if isinstance(metadata, dict):
        message_id = metadata.get('message_id')
    if not message_id:
        payload = message.get('payload')
        if isinstance(payload, dict):
            message_id = payload.get('message_id')
    if not message_id or not isinstance(message_id, (str, int)):
        raise normalise.MalformedMessage('no message id')
    message_id = str(message_id)
    if len(message_id) > MAX_MESSAGE_ID_LENGTH or \
            normalise.bad_identifier(message_id):
        message_id = 'sha256-' + hashlib.sha256(
            message_id.encode('utf-8', 'surrogatepass')).hexdigest()[:57]
    return message_id


class _SampleEndpoint:
    """Parses each message of a batch into raw rows, then stores them.

    Nothing a message holds can make the batch fail: a message that cannot
    be parsed, and the samples refused by
    :func:`normalise.validate_samples`, are counted, logged with their
    message id and dead-lettered, while the rest of the batch is stored.
    When the store refuses a batch for a reason other than an outage, the
    batch is split in halves until the refused messages are isolated; they
    are dead-lettered and every other one is stored.
    """

    #: the priority (endpoint method) of the notifications handled
    PRIORITY = None

    def __init__(self, ingestor, dead_letters=None, clock=time.time):
        self.ingestor = ingestor
        self.stats = ingestor.stats
        self.dead_letters = dead_letters
        self.clock = clock

    #: the fields of the tuples :meth:`parse` returns
    COLUMNS = ()
    #: the COLUMNS that hold numbers (floats or NaN)
    NUMERIC_COLUMNS = ('value',)

    def parse(self, message):
        """Return (rows, problems) for one message: a list of raw row
        tuples (see COLUMNS) and a list of the reasons samples of the
        message were skipped."""
        raise NotImplementedError

    def parse_columns(self, message):
        """:meth:`parse` as (columns, problems): one sequence per field of
        COLUMNS, each holding that field of every row."""
        rows, problems = self.parse(message)
        if not rows:
            return ((),) * len(self.COLUMNS), problems
        return tuple(zip(*rows, strict=True)), problems

    def normalise(self, raw):
        """Turn the batch's raw rows (a frame) into canonical samples."""
        raise NotImplementedError

    def _frame(self, parts, row_ids):
        """The batch's raw rows as a frame (timestamps parsed to epoch
        seconds) with the message id of each row. ``parts`` holds, for each
        of COLUMNS, that column's part of every message; ``row_ids`` holds
        (message id, number of rows) in the same order."""
        frame = {}
        for name, chunks in zip(self.COLUMNS, parts, strict=True):
            if name in self.NUMERIC_COLUMNS and all(
                    isinstance(chunk, np.ndarray) for chunk in chunks):
                # read as numbers already
                frame[name] = np.concatenate(
                    [np.empty(0, dtype='float64')] + chunks)
                continue
            values = list(itertools.chain.from_iterable(chunks))
            if name in self.NUMERIC_COLUMNS:
                frame[name] = normalise.to_numbers(values)
            elif name == 'timestamp':
                frame[name] = _epoch_seconds(values)
            else:
                frame[name] = np.fromiter(values, dtype=object,
                                          count=len(values))
        ids, counts = zip(*row_ids, strict=True) if row_ids else ((), ())
        frame['message_id'] = np.repeat(np.array(ids, dtype=object),
                                        np.array(counts, dtype=np.int64))
        return pd.DataFrame(frame, columns=list(self.COLUMNS) +
                            ['message_id'])

    def _refuse(self, refusals):
        """Dead-letter the (message, reason) pairs; False when the broker
        did not take them (the batch is then requeued: what it stored is
        skipped on redelivery)."""
        return all(deadletter.refuse(self.dead_letters, message,
                                     self.PRIORITY, reason)
                   for message, reason in refusals)

    def process(self, messages):
        self.stats.published(_epoch_seconds(
            [(message.get('metadata') or {}).get('timestamp')
             for message in messages]))
        parts = tuple([] for _ in self.COLUMNS)
        row_ids, by_id, problems, refusals = [], {}, {}, []
        for message in messages:
            try:
                message_id = _message_id(message)
                parsed, skipped = self.parse_columns(message)
            except Exception as error:
                # Whatever a message holds (a 400-digit integer, a list
                # where a dict belongs), it is refused on its own.
                self.stats.add(malformed=1)
                prometheus.malformed(normalise.MALFORMED_MESSAGE)
                refusals.append(
                    (message, 'malformed: %s' % normalise.first_line(error)))
                continue
            if skipped:
                problems.setdefault(message_id, []).extend(skipped)
            for part, column in zip(parts, parsed, strict=True):
                part.append(column)
            row_ids.append((message_id, len(parsed[0])))
            by_id[message_id] = message
        raw = self._frame(parts, row_ids)
        self.stats.add(received=len(raw))
        # what is no number, no time or no storable id is refused before
        # it reaches a rate or a sum
        raw, refused = normalise.validate_samples(raw, self.clock(),
                                                  bounds=False)
        self._count_refused(refused, problems)
        self.stats.add(messages=len(by_id))
        if not by_id:
            return self._handled(refusals)
        try:
            samples = self.normalise(raw)
        except Exception as error:
            LOG.exception('Normalising %d %s notifications failed',
                          len(by_id), messages[0].get('event_type'))
            samples = normalise.empty_samples(['message_id'])
            for message_id in by_id:
                problems.setdefault(message_id, []).append(
                    'normalisation failed: %s' % normalise.first_line(error))
        # the ids and times were checked in the raw rows
        samples, refused = normalise.validate_samples(samples, self.clock(),
                                                      checked=True)
        self._count_refused(refused, problems)
        try:
            failed = self.ingestor.store_isolating(
                samples, list(by_id), db_api.RETRYABLE_ERRORS)
        except db_api.RETRYABLE_ERRORS as error:
            self.stats.add(requeued=len(by_id))
            LOG.warning('Requeueing %d notifications: the database is not '
                        'available (%s)', len(by_id),
                        normalise.first_line(error))
            return oslo_messaging.NotificationResult.REQUEUE
        for message_id, error in failed.items():
            self.stats.add(dropped=1)
            problems.setdefault(message_id, []).append(
                'refused by the store: %s' % normalise.first_line(error))
        refusals.extend(
            (by_id[message_id], '; '.join(dict.fromkeys(reasons))[:2000])
            for message_id, reasons in problems.items())
        return self._handled(refusals)

    def _handled(self, refusals):
        if self._refuse(refusals):
            return oslo_messaging.NotificationResult.HANDLED
        return oslo_messaging.NotificationResult.REQUEUE

    def _count_refused(self, refused, problems):
        if refused.empty:
            return
        for reason, count in refused['reason'].value_counts().items():
            prometheus.malformed(reason, int(count))
        self.stats.add(malformed=len(refused))
        first = refused.drop_duplicates(['message_id', 'reason'])
        metrics = first['metric'] if 'metric' in first else first['source']
        for message_id, reason, resource_id, metric, value in zip(
                first['message_id'], first['reason'], first['resource_id'],
                metrics, first['value'], strict=True):
            problems.setdefault(message_id, []).append(
                '%s sample (%s of %.80r = %r)' % (
                    reason, metric, resource_id, value))
        LOG.warning('Refused %d samples of %d notifications (%s)',
                    len(refused), refused['message_id'].nunique(),
                    ', '.join('%s %d' % item for item in
                              refused['reason'].value_counts().items()))


class CeilometerEndpoint(_SampleEndpoint):
    """Samples from Ceilometer's ``notifier://`` publisher."""

    filter_rule = oslo_messaging.NotificationFilter(event_type='^metering$')

    PRIORITY = 'sample'

    COLUMNS = ('resource_id', 'device', 'source', 'timestamp', 'value',
               'vcpus', 'memory_mb')
    NUMERIC_COLUMNS = ('value', 'vcpus', 'memory_mb')

    def __init__(self, ingestor, telemetry_secret=None, **kwargs):
        super().__init__(ingestor, **kwargs)
        self.telemetry_secret = telemetry_secret
        self.rates = normalise.CumulativeRates()

    def sample(self, messages):
        return self.process(messages)

    def parse(self, message):
        columns, problems = self.parse_columns(message)
        columns = [column.tolist() if isinstance(column, np.ndarray)
                   else column for column in columns]
        return list(zip(*columns, strict=True)), problems

    def parse_columns(self, message):
        payload = message['payload']
        if not isinstance(payload, list):
            raise normalise.MalformedMessage(
                'the payload is not a list of samples')
        if not self.telemetry_secret:
            try:
                return self._columns(payload), []
            except Exception as error:  # noqa: BLE001
                LOG.debug('Reading a payload sample by sample: %s',
                          normalise.first_line(error))
        # signed samples, or a payload with a sample that cannot be read:
        # each sample on its own, so a bad one is counted and skipped
        rows, problems = [], []
        for sample in payload:
            try:
                row = self._row(sample)
            except Exception as error:
                prometheus.malformed(normalise.MALFORMED_MESSAGE)
                self.stats.add(malformed=1)
                problems.append(
                    'unreadable sample: %s' % normalise.first_line(error))
                continue
            if row is not None:
                rows.append(row)
        if not rows:
            return ((),) * len(self.COLUMNS), problems
        return tuple(zip(*rows, strict=True)), problems

    def _columns(self, payload):
        """The columns of the rows :meth:`_row` gives for each sample of
        ``payload``, read field by field over the whole payload; raises
        where :meth:`_row` raises for one of the samples."""
        if not payload:
            return ((),) * len(self.COLUMNS)
        resource_ids, names, timestamps, volumes = zip(
            *map(_SAMPLE_FIELDS, payload), strict=True)
        metadata = [sample.get('resource_metadata') or _NO_METADATA
                    for sample in payload]
        flavors = [item.get('flavor') or _NO_METADATA for item in metadata]
        instance_ids = [item.get('instance_id') or resource_id
                        for item, resource_id in zip(metadata, resource_ids,
                                                     strict=True)]
        if not set(map(type, resource_ids)).union(
                map(type, instance_ids)) <= {str}:
            raise normalise.MalformedMessage('resource_id is not a string')
        return (
            instance_ids, resource_ids, list(map(str, names)), timestamps,
            normalise.to_numbers(volumes),
            normalise.to_numbers(
                [item.get('vcpus', flavor.get('vcpus'))
                 for item, flavor in zip(metadata, flavors, strict=True)]),
            normalise.to_numbers(
                [item.get('memory_mb', flavor.get('ram'))
                 for item, flavor in zip(metadata, flavors, strict=True)]))

    def _row(self, sample):
        if (self.telemetry_secret and
                not verify_signature(sample, self.telemetry_secret)):
            self.stats.add(bad_signature=1)
            LOG.warning('Dropping sample %s of %s: bad signature',
                        sample.get('message_id'), sample.get('resource_id'))
            return None
        metadata = sample.get('resource_metadata') or {}
        flavor = metadata.get('flavor') or {}
        resource_id = sample['resource_id']
        instance_id = metadata.get('instance_id') or resource_id
        if not isinstance(resource_id, str) or \
                not isinstance(instance_id, str):
            raise normalise.MalformedMessage('resource_id is not a string')
        return (
            # per-device meters (disks, interfaces) name their instance
            # in the metadata
            instance_id,
            resource_id,
            str(sample['counter_name']),
            sample['timestamp'],
            # NaN for what is no finite number: validate_samples refuses
            # and counts it
            normalise.to_number(sample['counter_volume']),
            normalise.to_number(metadata.get('vcpus', flavor.get('vcpus'))),
            normalise.to_number(metadata.get('memory_mb',
                                             flavor.get('ram'))),
        )

    def normalise(self, raw):
        if raw.empty:
            return normalise.empty_samples(['message_id'])
        # the message id keeps rows of two messages from merging
        return normalise.normalise_ceilometer(raw, self.rates,
                                              extra_keys=['message_id'])


class IronicSensorEndpoint(_SampleEndpoint):
    """Ironic's ``hardware.ipmi.metrics`` sensor notifications.

    A node reports several power sensors on some BMCs (one per supply plus
    a total): a sensor whose name says it is the total (``consumption``,
    ``total``, ``system``) is used when present, otherwise the supplies are
    summed.
    """

    filter_rule = oslo_messaging.NotificationFilter(
        event_type=r'^hardware\.ipmi\.metrics$')

    PRIORITY = 'info'

    COLUMNS = ('resource_id', 'metric', 'timestamp', 'value')

    def info(self, messages):
        return self.process(messages)

    def parse(self, message):
        payload = message['payload']
        resource_id = payload.get('instance_uuid') or payload['node_uuid']
        readings = []
        for sensors in payload['payload'].values():
            for name, sensor in sensors.items():
                value, unit = normalise.parse_ipmi_reading(
                    sensor.get('Sensor Reading'))
                metric = normalise.ipmi_metric(unit)
                if value is not None and metric:
                    readings.append((name, metric, value))
        if not isinstance(resource_id, str):
            raise normalise.MalformedMessage('node_uuid is not a string')
        return [(resource_id, metric, payload['timestamp'], value)
                for metric, value in host_power(readings).items()], []

    def normalise(self, raw):
        if raw.empty:
            return normalise.empty_samples(['message_id'])
        return raw


_TOTAL_SENSOR_WORDS = ('consumption', 'total', 'system')


def host_power(readings):
    """Combine (sensor name, metric, watts) readings per metric."""
    result = {}
    for metric in {metric for _, metric, _ in readings}:
        named = [(name.lower(), value) for name, mtr, value in readings
                 if mtr == metric]
        totals = [value for name, value in named
                  if any(word in name for word in _TOTAL_SENSOR_WORDS)]
        result[metric] = max(totals) if totals else sum(
            value for _, value in named)
    return result


def endpoints(ingestor, context, db, telemetry_secret=None, npu_aliases=(),
              metadata_key=nova.WORKLOAD_METADATA_KEY, dead_letters=None):
    """All endpoints, sharing the ingestor's counters and workload cache;
    ``dead_letters`` (a :class:`deadletter.DeadLetters`) receives what they
    refuse."""
    return [
        CeilometerEndpoint(ingestor, telemetry_secret=telemetry_secret,
                           dead_letters=dead_letters),
        IronicSensorEndpoint(ingestor, dead_letters=dead_letters),
        nova.NovaInstanceEndpoint(context, db, ingestor.stats,
                             resolver=ingestor.resolver,
                             npu_aliases=npu_aliases,
                             metadata_key=metadata_key,
                             dead_letters=dead_letters),
        neutron.NeutronFloatingIPEndpoint(context, db, ingestor.stats,
                                          dead_letters=dead_letters),
        glance.GlanceImageEndpoint(context, db, ingestor.stats,
                                   dead_letters=dead_letters),
    ]


