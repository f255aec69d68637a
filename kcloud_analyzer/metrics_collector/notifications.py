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
- :class:`NovaInstanceEndpoint`: Nova's versioned ``instance.create.end``,
  ``instance.update``, the ``instance.resize_*.end`` and
  ``instance.delete.end``, which create, update and end workloads.

Each batch is parsed message by message: a malformed message is logged,
counted and dropped while the rest of the batch goes on. The samples of a
batch are then normalised and stored together; when the database cannot be
reached the whole batch is requeued (the broker redelivers it, and the
message ids make sure nothing is counted twice).
"""

import hashlib
import hmac
import re

from oslo_db import exception as db_exc
from oslo_log import log as logging
import oslo_messaging
from oslo_utils import timeutils
import pandas as pd
from sqlalchemy import exc as sa_exc

from kcloud_analyzer.common import exception
from kcloud_analyzer.metrics_collector import normalise

LOG = logging.getLogger(__name__)

#: database failures that go away by themselves: the batch is requeued.
#: A refused first connection reaches here as SQLAlchemy's
#: OperationalError, not wrapped by oslo.db.
RETRYABLE_DB_ERRORS = (db_exc.DBConnectionError, db_exc.DBDeadlock,
                       sa_exc.OperationalError, sa_exc.InterfaceError)

WORKLOAD_METADATA_KEY = 'kcloud:workload_id'
WORKLOAD_TYPE_METADATA_KEY = 'kcloud:workload_type'


class MalformedMessage(ValueError):
    """A notification that does not have the shape its event type needs."""


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
    """Epoch seconds of ISO 8601 timestamps (naive ones are UTC); NaN
    where a timestamp cannot be parsed."""
    parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True,
                            format='ISO8601', errors='coerce')
    return (parsed - pd.Timestamp(0, tz='UTC')).dt.total_seconds()


def _message_id(message):
    metadata = message.get('metadata') or {}
    message_id = metadata.get('message_id')
    if not message_id:
        payload = message.get('payload')
        if isinstance(payload, dict):
            message_id = payload.get('message_id')
    if not message_id:
        raise MalformedMessage('no message id')
    return str(message_id)


class _SampleEndpoint:
    """Parses each message of a batch into raw rows, then stores them."""

    def __init__(self, ingestor):
        self.ingestor = ingestor
        self.stats = ingestor.stats

    #: the fields of the tuples :meth:`parse` returns
    COLUMNS = ()

    def parse(self, message):
        """Return a list of raw row tuples (see COLUMNS) for one message."""
        raise NotImplementedError

    def normalise(self, raw):
        """Turn the batch's raw rows (a frame) into canonical samples."""
        raise NotImplementedError

    def process(self, messages):
        rows, message_ids = [], []
        for message in messages:
            try:
                message_id = _message_id(message)
                parsed = self.parse(message)
            except (MalformedMessage, KeyError, TypeError, ValueError,
                    AttributeError) as error:
                self.stats.add(malformed=1)
                LOG.warning('Dropping malformed %s notification from %s: '
                            '%s', message.get('event_type'),
                            message.get('publisher_id'), error)
                continue
            rows.extend(row + (message_id,) for row in parsed)
            message_ids.append(message_id)
        raw = pd.DataFrame.from_records(
            rows, columns=list(self.COLUMNS) + ['message_id'])
        if not raw.empty:
            raw['timestamp'] = _epoch_seconds(raw['timestamp']).to_numpy()
            bad = set(raw.loc[raw['timestamp'].isna(), 'message_id'])
            if bad:
                self.stats.add(malformed=len(bad))
                LOG.warning('Dropping %d %s notifications with timestamps '
                            'that are not ISO 8601', len(bad),
                            messages[0].get('event_type'))
                raw = raw[~raw['message_id'].isin(bad)]
                message_ids = [i for i in message_ids if i not in bad]
        self.stats.add(messages=len(message_ids))
        if not message_ids:
            return oslo_messaging.NotificationResult.HANDLED
        try:
            samples = self.normalise(raw)
            self.ingestor.store(samples, message_ids)
        except RETRYABLE_DB_ERRORS as error:
            self.stats.add(requeued=len(message_ids))
            LOG.warning('Requeueing %d notifications: the database is not '
                        'available (%s: %s)', len(message_ids),
                        type(error).__name__, str(error).splitlines()[0])
            return oslo_messaging.NotificationResult.REQUEUE
        except Exception:
            # Requeueing what fails for another reason would only fail
            # again, forever: count it and let it go.
            self.stats.add(dropped=len(message_ids))
            LOG.exception('Dropping %d %s notifications that could not be '
                          'stored', len(message_ids),
                          messages[0].get('event_type'))
        return oslo_messaging.NotificationResult.HANDLED


class CeilometerEndpoint(_SampleEndpoint):
    """Samples from Ceilometer's ``notifier://`` publisher."""

    filter_rule = oslo_messaging.NotificationFilter(event_type='^metering$')

    COLUMNS = ('resource_id', 'device', 'source', 'timestamp', 'value',
               'vcpus', 'memory_mb')

    def __init__(self, ingestor, telemetry_secret=None):
        super().__init__(ingestor)
        self.telemetry_secret = telemetry_secret
        self.rates = normalise.CumulativeRates()

    def sample(self, messages):
        return self.process(messages)

    def parse(self, message):
        payload = message['payload']
        if not isinstance(payload, list):
            raise MalformedMessage('the payload is not a list of samples')
        rows = []
        for sample in payload:
            if (self.telemetry_secret and
                    not verify_signature(sample, self.telemetry_secret)):
                self.stats.add(bad_signature=1)
                LOG.warning('Dropping sample %s of %s: bad signature',
                            sample.get('message_id'),
                            sample.get('resource_id'))
                continue
            metadata = sample.get('resource_metadata') or {}
            flavor = metadata.get('flavor') or {}
            resource_id = str(sample['resource_id'])
            rows.append((
                # per-device meters (disks, interfaces) name their instance
                # in the metadata
                str(metadata.get('instance_id') or resource_id),
                resource_id,
                sample['counter_name'],
                sample['timestamp'],
                float(sample['counter_volume']),
                metadata.get('vcpus', flavor.get('vcpus')),
                metadata.get('memory_mb', flavor.get('ram')),
            ))
        return rows

    def normalise(self, raw):
        if raw.empty:
            return normalise.empty_samples(['message_id'])
        raw = raw.assign(
            vcpus=pd.to_numeric(raw['vcpus'], errors='coerce'),
            memory_mb=pd.to_numeric(raw['memory_mb'], errors='coerce'))
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
        return [(str(resource_id), metric, payload['timestamp'], value)
                for metric, value in host_power(readings).items()]

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


def parse_pci_aliases(spec):
    """``'a100:2, t4'`` -> ``{'a100': 2, 't4': 1}``."""
    aliases = {}
    for item in str(spec or '').split(','):
        item = item.strip()
        if not item:
            continue
        name, _, count = item.partition(':')
        aliases[name.strip()] = aliases.get(name.strip(), 0) + int(
            count or 1)
    return aliases


#: the GPU resource classes of a flavor, in any request group: Nova accepts
#: ``resources:VGPU`` as well as granular ``resources1:VGPU`` or
#: ``resources_gpu:VGPU`` (nova/api/validation/extra_specs/resources.py)
_GPU_RESOURCE_SPEC = re.compile(r'^resources[a-zA-Z0-9_-]{0,64}:(VGPU|PGPU)$')


def flavor_resources(flavor, npu_aliases=()):
    """Resources of one instance from its Nova flavor (versioned payload).

    GPUs are counted from the ``VGPU`` / ``PGPU`` resource classes of every
    request group and the PCI aliases that are not NPU aliases; NPUs from
    the aliases listed in ``npu_aliases`` (``[notification] npu_aliases``).
    ``accelerator`` is the first alias name, the device model operators
    usually name aliases by.
    """
    extra_specs = flavor.get('extra_specs') or {}
    aliases = parse_pci_aliases(extra_specs.get('pci_passthrough:alias'))
    npu_aliases = {a.lower() for a in npu_aliases}
    npu_count = sum(c for a, c in aliases.items() if a.lower() in npu_aliases)
    gpu_count = sum(c for a, c in aliases.items()
                    if a.lower() not in npu_aliases)
    gpu_count += sum(int(value or 0) for key, value in extra_specs.items()
                     if _GPU_RESOURCE_SPEC.match(key))
    accelerator = next(iter(aliases), None)
    if accelerator is None and gpu_count:
        accelerator = 'vgpu'
    return {
        'cpu_cores': int(flavor['vcpus']),
        'memory_gb': round(float(flavor['memory_mb']) / 1024.0, 3),
        'gpu_count': gpu_count,
        'npu_count': npu_count,
        'accelerator': accelerator,
    }


def sum_resources(resources):
    """Resources of a workload: the sum over its instances."""
    resources = [r for r in resources if r]
    if not resources:
        return {}
    total = {key: sum(r.get(key) or 0 for r in resources)
             for key in ('cpu_cores', 'memory_gb', 'gpu_count', 'npu_count')}
    total['memory_gb'] = round(total['memory_gb'], 3)
    # the accelerator of the instance with the most devices names the
    # workload's; whatever order the instances are listed in
    named = sorted((-(r.get('gpu_count') or 0) - (r.get('npu_count') or 0),
                    r['accelerator']) for r in resources
                   if r.get('accelerator'))
    total['accelerator'] = named[0][1] if named else None
    return total


def _nova_data(obj):
    if isinstance(obj, dict) and 'nova_object.data' in obj:
        return obj['nova_object.data']
    return obj


class NovaInstanceEndpoint:
    """Nova versioned instance notifications -> workloads."""

    #: a resize changes the flavor: Nova's versioned
    #: ``instance.resize_finish.end`` carries the new one, and
    #: ``resize_revert.end`` / ``resize_confirm.end`` the one kept
    filter_rule = oslo_messaging.NotificationFilter(
        event_type=r'^instance\.(create\.end|update|delete\.end|'
                   r'resize_(finish|revert|confirm)\.end)$')

    def __init__(self, context, db, stats, resolver=None, npu_aliases=(),
                 metadata_key=WORKLOAD_METADATA_KEY):
        self.context = context
        self.db = db
        self.stats = stats
        self.resolver = resolver
        self.npu_aliases = tuple(npu_aliases)
        self.metadata_key = metadata_key

    def info(self, messages):
        for index, message in enumerate(messages):
            try:
                self._handle(message)
            except RETRYABLE_DB_ERRORS as error:
                # Workload updates are idempotent, so the ones of this
                # batch already applied may safely be applied again.
                self.stats.add(requeued=len(messages) - index)
                LOG.warning('Requeueing Nova notifications: the database '
                            'is not available (%s: %s)', type(error).__name__,
                            str(error).splitlines()[0])
                return oslo_messaging.NotificationResult.REQUEUE
            except (MalformedMessage, KeyError, TypeError, ValueError,
                    AttributeError) as error:
                self.stats.add(malformed=1)
                LOG.warning('Dropping malformed %s notification from %s: '
                            '%s', message.get('event_type'),
                            message.get('publisher_id'), error)
            else:
                self.stats.add(messages=1)
        return oslo_messaging.NotificationResult.HANDLED

    def _handle(self, message):
        data = _nova_data(message['payload'])
        instance_id = str(data['uuid'])
        if message['event_type'] == 'instance.delete.end':
            # Nova says when the instance went; a late or redelivered
            # notification must not move the workload's end to now
            deleted_at = data.get('deleted_at') or data.get('terminated_at')
            if deleted_at:
                deleted_at = timeutils.normalize_time(
                    timeutils.parse_isotime(deleted_at))
            try:
                self.db.workload_delete_instance(self.context, instance_id,
                                                 deleted_at=deleted_at)
            except exception.NotFound:
                LOG.debug('Deleted instance %s was never recorded',
                          instance_id)
            if self.resolver:
                self.resolver.forget(instance_id)
            return
        metadata = data.get('metadata') or {}
        workload_id = str(metadata.get(self.metadata_key) or instance_id)
        flavor = _nova_data(data['flavor'])
        resources = flavor_resources(flavor, self.npu_aliases)
        values = {
            'workload_id': workload_id,
            'project_id': data['tenant_id'],
            'instances': [instance_id],
            'status': 'active',
        }
        declared = metadata.get(WORKLOAD_TYPE_METADATA_KEY)
        if declared:
            values['declared_type'] = declared
        if workload_id == instance_id:
            values['name'] = data.get('display_name')
        else:
            values['name'] = workload_id
        self.db.workload_upsert(self.context, values)
        self.db.instance_update(self.context, instance_id,
                                {'flavor': resources})
        instances = self.db.instance_list_by_workload(self.context,
                                                      workload_id)
        total = sum_resources([i.get('flavor') for i in instances])
        self.db.workload_upsert(self.context, {
            'workload_id': workload_id, 'resources': total,
            'accelerator': total.get('accelerator')})
        if self.resolver:
            self.resolver.remember(instance_id, workload_id)


def endpoints(ingestor, context, db, telemetry_secret=None, npu_aliases=(),
              metadata_key=WORKLOAD_METADATA_KEY):
    """All endpoints, sharing the ingestor's counters and workload cache."""
    return [
        CeilometerEndpoint(ingestor, telemetry_secret=telemetry_secret),
        IronicSensorEndpoint(ingestor),
        NovaInstanceEndpoint(context, db, ingestor.stats,
                             resolver=ingestor.resolver,
                             npu_aliases=npu_aliases,
                             metadata_key=metadata_key),
    ]


