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
"""Nova's versioned instance notifications -> workloads.

:class:`NovaInstanceEndpoint` handles ``instance.create.end``,
``instance.update``, the ``instance.resize_*.end`` and
``instance.delete.end``: it creates, updates and ends workloads and records
each instance's resources from its flavor (:func:`flavor_resources`), which
the workload's resources sum (:func:`sum_resources`). Instances are grouped
into a workload by the ``kcloud:workload_id`` metadata key (configurable);
an instance without it is its own workload.

Each instance's records that say what it runs (:func:`instance_records`:
image, server tags, metadata, creation time) are kept on the instance and,
merged over the live instances (:func:`merge_records`), on the workload,
where the classifier takes them as evidence
(:mod:`kcloud_analyzer.workload_analyzer.evidence`). The declared type is
the ``kcloud:workload_type`` metadata key, else the flavor extra spec of
that name.

When Nova shows a recommendation acted on, the workload's open
recommendations of the kinds that change answers are marked ``applied``
with the time of the change (:data:`APPLIED_BY`): a flavor change of an
instance (``resize``, or ``accelerators_released`` when the new flavor has
fewer accelerators), or the deletion of the workload's last instance
(``delete``). A reverted resize (``instance.resize_revert.end``) opens them
again. The realised saving is measured later, by the agent's cost job.

A message the store refuses is counted and dead-lettered; when the database
cannot be reached the rest of the batch is requeued (workload updates are
idempotent, so applying one again is harmless).
"""

import re

from oslo_log import log as logging
import oslo_messaging
from oslo_utils import timeutils

from kcloud_analyzer.common import exception
from kcloud_analyzer.common.metrics import WORKLOAD_TYPES
from kcloud_analyzer.common import prometheus
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.metrics_collector import deadletter
from kcloud_analyzer.metrics_collector import normalise

LOG = logging.getLogger(__name__)

WORKLOAD_METADATA_KEY = 'kcloud:workload_id'
WORKLOAD_TYPE_METADATA_KEY = 'kcloud:workload_type'
#: Nova instance UUIDs
MAX_INSTANCE_ID_LENGTH = 36

_RESIZE_KINDS = ('oversized_compute', 'gpu_partition', 'cheaper_accelerator')
_ACCELERATOR_KINDS = ('idle_accelerator', 'fewer_gpus')
#: the recommendation kinds each change Nova shows puts into effect
APPLIED_BY = {
    'resize': _RESIZE_KINDS,
    'accelerators_released': _RESIZE_KINDS + _ACCELERATOR_KINDS,
    'delete': _RESIZE_KINDS + _ACCELERATOR_KINDS,
}
_SIZE_KEYS = ('name', 'cpu_cores', 'memory_mb', 'gpu_count', 'npu_count',
              'accelerator')


def flavor_change(old, new):
    """The change from flavor resources ``old`` to ``new``: None (same
    size, or nothing known before), ``accelerators_released`` or
    ``resize``."""
    if not old or not new:
        return None
    if all(old.get(key) == new.get(key) for key in _SIZE_KEYS):
        return None
    count = (new.get('gpu_count') or 0) + (new.get('npu_count') or 0)
    if count < (old.get('gpu_count') or 0) + (old.get('npu_count') or 0):
        return 'accelerators_released'
    return 'resize'


def _message_time(message):
    """When the notification was sent (naive UTC), else now."""
    stamp = (message.get('metadata') or {}).get('timestamp')
    try:
        return timeutils.normalize_time(timeutils.parse_isotime(
            str(stamp).replace(' ', 'T')))
    except (TypeError, ValueError):
        return timeutils.utcnow()


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
    usually name aliases by. ``name`` is the flavor's, which resize advice
    offers among the flavors seen.
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
        'name': flavor.get('name'),
        'cpu_cores': int(flavor['vcpus']),
        'memory_mb': int(flavor['memory_mb']),
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


#: bounds of what is kept of an instance's tags and metadata (Nova allows
#: tags of 60 characters and metadata values of 255)
MAX_TAGS = 50
MAX_METADATA_ITEMS = 50
MAX_RECORD_TEXT = 255


def instance_records(data, metadata_keys=()):
    """What an instance's versioned payload says of what it runs.

    :param data: the ``nova_object.data`` of an instance payload
        (``InstanceCreatePayload``, ``InstanceUpdatePayload``,
        ``InstanceActionPayload``).
    :param metadata_keys: metadata keys left out (the grouping and the
        declared type, which are kept elsewhere).
    :returns: a dict with ``image`` (``image_uuid``; Nova names no image),
        ``tags`` (sorted), ``metadata``, ``created_at`` (ISO 8601) and
        ``ports`` (the Neutron ports of its ``ip_addresses``, sorted), each
        only when the payload has it.
    """
    records = {}
    addresses = data.get('ip_addresses')
    if isinstance(addresses, (list, tuple)):
        ports = {_nova_data(a).get('port_uuid') for a in addresses
                 if isinstance(_nova_data(a), dict)}
        records['ports'] = sorted(
            normalise.clean_text(p, MAX_RECORD_TEXT) for p in ports
            if isinstance(p, str))[:MAX_TAGS]
    image = data.get('image_uuid')
    if image:
        records['image'] = normalise.clean_text(image, MAX_RECORD_TEXT)
    tags = data.get('tags')
    if isinstance(tags, (list, tuple)):
        records['tags'] = sorted({normalise.clean_text(t, MAX_RECORD_TEXT)
                                  for t in tags if t is not None})[:MAX_TAGS]
    metadata = data.get('metadata')
    if isinstance(metadata, dict):
        records['metadata'] = {
            normalise.clean_text(k, MAX_RECORD_TEXT):
                normalise.clean_text(v, MAX_RECORD_TEXT)
            for k, v in sorted(metadata.items())[:MAX_METADATA_ITEMS]
            if k not in metadata_keys}
    created = data.get('created_at') or data.get('launched_at')
    if created:
        records['created_at'] = timeutils.normalize_time(
            timeutils.parse_isotime(created)).isoformat()
    return records


def merge_records(records):
    """The records of a workload from those of its instances: every tag,
    every metadata item (the first instance's value on a clash), the
    images (one, or a sorted list when they differ) and the earliest
    creation time."""
    records = [r for r in records if r]
    if not records:
        return None
    merged = {}
    images = sorted({r['image'] for r in records if r.get('image')})
    if images:
        merged['image'] = images[0] if len(images) == 1 else images
    if any('tags' in r for r in records):
        merged['tags'] = sorted({t for r in records
                                 for t in r.get('tags') or ()})[:MAX_TAGS]
    if any('metadata' in r for r in records):
        metadata = {}
        for r in reversed(records):
            metadata.update(r.get('metadata') or {})
        merged['metadata'] = dict(sorted(metadata.items())[
            :MAX_METADATA_ITEMS])
    created = [r['created_at'] for r in records if r.get('created_at')]
    if created:
        merged['created_at'] = min(created)
    if any('ports' in r for r in records):
        merged['ports'] = sorted({p for r in records
                                  for p in r.get('ports') or ()})
    if any('network_exposed' in r for r in records):
        merged['network_exposed'] = any(r.get('network_exposed')
                                        for r in records)
    return merged


def refresh_exposure(db, context, instances):
    """Record in each of ``instances`` (dicts) whether a floating IP now
    points to it, and merge its workload's records again; returns the
    workloads whose records changed."""
    changed = set()
    for instance in instances:
        records = dict(instance.get('records') or {})
        exposed = bool(db.instance_exposed(
            context, instance['instance_id'], records.get('ports') or ()))
        if records.get('network_exposed') == exposed:
            continue
        records['network_exposed'] = exposed
        db.instance_update(context, instance['instance_id'],
                           {'records': records})
        changed.add(instance['workload_id'])
    for workload_id in sorted(changed):
        db.workload_upsert(context, {
            'workload_id': workload_id,
            'records': merge_records([
                i.get('records') for i in
                db.instance_list_by_workload(context, workload_id)])})
    return changed


def _nova_data(obj):
    if isinstance(obj, dict) and 'nova_object.data' in obj:
        return obj['nova_object.data']
    return obj


class RecordEndpoint:
    """A batch endpoint whose messages update the cloud's records of the
    workloads (idempotent updates, so a batch may be applied again).

    Subclasses set ``filter_rule`` and :attr:`SERVICE` and write
    ``_handle(message)``; a message the store refuses is counted and
    dead-lettered, a database outage requeues the rest of the batch.
    """

    PRIORITY = 'info'
    #: whose notifications, for the log
    SERVICE = None

    def __init__(self, context, db, stats, dead_letters=None):
        self.context = context
        self.db = db
        self.stats = stats
        self.dead_letters = dead_letters

    def info(self, messages):
        for index, message in enumerate(messages):
            try:
                self._handle(message)
            except db_api.RETRYABLE_ERRORS as error:
                # Workload updates are idempotent, so the ones of this
                # batch already applied may safely be applied again.
                self.stats.add(requeued=len(messages) - index)
                LOG.warning('Requeueing %s notifications: the database '
                            'is not available (%s)', self.SERVICE,
                            normalise.first_line(error))
                return oslo_messaging.NotificationResult.REQUEUE
            except Exception as error:
                # A message the store refuses would be refused again:
                # it is counted and dead-lettered, never retried forever.
                self.stats.add(malformed=1)
                prometheus.malformed(normalise.MALFORMED_MESSAGE)
                reason = 'malformed: %s' % normalise.first_line(error)
                if not deadletter.refuse(self.dead_letters, message,
                                         self.PRIORITY, reason):
                    # applied updates are idempotent: requeue from here
                    return oslo_messaging.NotificationResult.REQUEUE
            else:
                self.stats.add(messages=1)
        return oslo_messaging.NotificationResult.HANDLED

    def _handle(self, message):
        raise NotImplementedError

    @staticmethod
    def _payload(message):
        """The message's payload, which must be a JSON object."""
        payload = message.get('payload')
        if not isinstance(payload, dict):
            raise normalise.MalformedMessage('the payload is not an object')
        return payload

    @staticmethod
    def _check_ids(**ids):
        for name, value in ids.items():
            limit = MAX_INSTANCE_ID_LENGTH if name == 'uuid' else \
                normalise.MAX_ID_LENGTH
            if not isinstance(value, str) or len(value) > limit or \
                    normalise.bad_identifiers([value])[0]:
                raise normalise.MalformedMessage(
                    '%s is not an id the store can keep' % name)


class NovaInstanceEndpoint(RecordEndpoint):
    """Nova versioned instance notifications -> workloads."""

    #: a resize changes the flavor: Nova's versioned
    #: ``instance.resize_finish.end`` carries the new one, and
    #: ``resize_revert.end`` / ``resize_confirm.end`` the one kept
    filter_rule = oslo_messaging.NotificationFilter(
        event_type=r'^instance\.(create\.end|update|delete\.end|'
                   r'resize_(finish|revert|confirm)\.end)$')

    SERVICE = 'Nova'

    def __init__(self, context, db, stats, resolver=None, npu_aliases=(),
                 metadata_key=WORKLOAD_METADATA_KEY, dead_letters=None):
        super().__init__(context, db, stats, dead_letters=dead_letters)
        self.resolver = resolver
        self.npu_aliases = tuple(npu_aliases)
        self.metadata_key = metadata_key

    def _handle(self, message):
        data = _nova_data(message['payload'])
        instance_id = data['uuid']
        self._check_ids(uuid=instance_id)
        if message['event_type'] == 'instance.delete.end':
            # Nova says when the instance went; a late or redelivered
            # notification must not move the workload's end to now
            deleted_at = data.get('deleted_at') or data.get('terminated_at')
            if deleted_at:
                deleted_at = timeutils.normalize_time(
                    timeutils.parse_isotime(deleted_at))
            try:
                workload = self.db.workload_delete_instance(
                    self.context, instance_id, deleted_at=deleted_at)
            except exception.NotFound:
                LOG.debug('Deleted instance %s was never recorded',
                          instance_id)
            else:
                if workload['status'] == 'deleted':
                    self._applied(workload['workload_id'], 'delete',
                                  workload['ended_at'])
            if self.resolver:
                self.resolver.forget(instance_id)
            return
        metadata = data.get('metadata') or {}
        workload_id = metadata.get(self.metadata_key) or instance_id
        self._check_ids(workload_id=workload_id,
                        tenant_id=data['tenant_id'])
        flavor = _nova_data(data['flavor'])
        resources = flavor_resources(flavor, self.npu_aliases)
        values = {
            'workload_id': workload_id,
            'project_id': data['tenant_id'],
            'instances': [instance_id],
            'status': 'active',
        }
        declared = metadata.get(WORKLOAD_TYPE_METADATA_KEY)
        if declared not in WORKLOAD_TYPES:
            declared = (flavor.get('extra_specs') or {}).get(
                WORKLOAD_TYPE_METADATA_KEY)
        if declared not in WORKLOAD_TYPES:
            declared = None
        if declared:
            values['declared_type'] = declared
        if workload_id == instance_id:
            values['name'] = normalise.clean_text(data.get('display_name'))
        else:
            values['name'] = workload_id
        known = {i['instance_id']: i for i in
                 self.db.instance_list_by_workload(self.context,
                                                   workload_id)}
        before = {key: i.get('flavor') for key, i in known.items()}
        self.db.workload_upsert(self.context, values)
        records = instance_records(
            data, (self.metadata_key, WORKLOAD_TYPE_METADATA_KEY))
        if not records.get('ports'):
            # an update sent while the network is being set up lists no
            # addresses: the ports seen before still hold
            ports = (known.get(instance_id, {}).get('records') or {}).get(
                'ports')
            if ports:
                records['ports'] = ports
        # a floating IP may have been associated before Nova's notice
        records['network_exposed'] = bool(self.db.instance_exposed(
            self.context, instance_id, records.get('ports') or ()))
        self.db.instance_update(self.context, instance_id,
                                {'flavor': resources, 'records': records})
        if message['event_type'] == 'instance.resize_revert.end':
            self.db.recommendations_reopen(
                self.context, workload_id,
                ('resize', 'accelerators_released'))
        else:
            change = flavor_change(before.get(instance_id), resources)
            if change:
                self._applied(workload_id, change, _message_time(message))
        instances = self.db.instance_list_by_workload(self.context,
                                                      workload_id)
        total = sum_resources([i.get('flavor') for i in instances])
        self.db.workload_upsert(self.context, {
            'workload_id': workload_id, 'resources': total,
            'accelerator': total.get('accelerator'),
            db_api.RESOURCES_CHANGED_AT: _message_time(message),
            'records': merge_records([i.get('records')
                                      for i in instances])})
        if self.resolver:
            self.resolver.remember(instance_id, workload_id)

    def _applied(self, workload_id, change, at):
        count = self.db.recommendations_apply(
            self.context, workload_id, change, at, APPLIED_BY[change])
        if count:
            LOG.info('%d recommendation(s) of workload %s applied by a %s '
                     'at %s', count, workload_id, change, at)
