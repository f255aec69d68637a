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
"""Workloads and their instances."""

from oslo_db import exception as db_exc
import sqlalchemy as sa

from kcloud_analyzer.common import exception
from kcloud_analyzer.db.api import utils
from kcloud_analyzer.db.api.engine import main_context_manager
from kcloud_analyzer.db import models


_WORKLOAD_FIELDS = ('name', 'project_id', 'status', 'declared_type',
                    'classified_type', 'confidence', 'classification',
                    'resources', 'accelerator', 'profile', 'records',
                    'started_at', 'ended_at')


#: the key of ``values`` that says since when new resources hold
CHANGED_AT = 'resources_changed_at'


def _note_resources(context, workload, changed_at):
    """Add a :class:`~.models.WorkloadResourceChange` when the workload's
    resources or accelerator differ from those last noted."""
    resources = workload.resources or {}
    if not resources and workload.accelerator is None:
        return
    last = context.session.query(
        models.WorkloadResourceChange.resources,
        models.WorkloadResourceChange.accelerator).filter_by(
        workload_id=workload.workload_id).order_by(
        models.WorkloadResourceChange.changed_at.desc(),
        models.WorkloadResourceChange.id.desc()).first()
    if last is not None and (last.resources or {}) == resources and (
            last.accelerator == workload.accelerator):
        return
    context.session.add(models.WorkloadResourceChange(
        workload_id=workload.workload_id,
        changed_at=changed_at or utils.utcnow(),
        resources=resources, accelerator=workload.accelerator))


@main_context_manager.writer
def workload_create(context, values):
    """Create a workload; WorkloadExists when its id is taken."""
    values = dict(values)
    changed_at = values.pop(CHANGED_AT, None)
    workload = models.Workload(**values)
    try:
        context.session.add(workload)
        context.session.flush()
    except db_exc.DBDuplicateEntry:
        raise exception.WorkloadExists(workload_id=values['workload_id'])
    _note_resources(context, workload, changed_at)
    return workload.as_dict()


@main_context_manager.writer
def workload_upsert(context, values):
    """Create the workload or update the given fields of it.

    ``values`` may carry ``instances`` (a list of instance UUIDs) which
    are attached to the workload, and :data:`CHANGED_AT` (naive UTC): when
    the ``resources`` or ``accelerator`` given took effect, now when not
    given (see :func:`resource_changes`).
    """
    values = dict(values)
    instances = values.pop('instances', None)
    changed_at = values.pop(CHANGED_AT, None)
    workload = context.session.query(models.Workload).filter_by(
        workload_id=values['workload_id']).with_for_update().first()
    if workload is None:
        values.setdefault('resources', {})
        values.setdefault('status', 'active')
        workload = models.Workload(**values)
        context.session.add(workload)
    else:
        for key, value in values.items():
            if key in _WORKLOAD_FIELDS:
                setattr(workload, key, value)
    context.session.flush()
    if 'resources' in values or 'accelerator' in values:
        _note_resources(context, workload, changed_at)
    for instance_id in instances or ():
        instance = context.session.get(models.Instance, instance_id)
        if instance is None:
            context.session.add(models.Instance(
                instance_id=instance_id,
                workload_id=workload.workload_id,
                project_id=workload.project_id))
        else:
            instance.workload_id = workload.workload_id
    context.session.flush()
    return _workload_dict(context, workload)


def _workload_dict(context, workload):
    result = workload.as_dict()
    result['instances'] = [
        row.instance_id for row in context.session.query(
            models.Instance.instance_id).filter_by(
            workload_id=workload.workload_id, deleted_at=None).order_by(
            models.Instance.instance_id)]
    return result


@main_context_manager.reader
def workload_get(context, workload_id, project_id=None):
    """Return a workload; WorkloadNotFound when absent or, given
    ``project_id``, owned by another project."""
    query = context.session.query(models.Workload).filter_by(
        workload_id=workload_id)
    if project_id is not None:
        query = query.filter_by(project_id=project_id)
    workload = query.first()
    if workload is None:
        raise exception.WorkloadNotFound(workload_id=workload_id)
    return _workload_dict(context, workload)


@main_context_manager.reader
def workload_get_by_instance(context, instance_id):
    instance = context.session.get(models.Instance, instance_id)
    if instance is None:
        raise exception.InstanceNotFound(instance_id=instance_id)
    workload = context.session.query(models.Workload).filter_by(
        workload_id=instance.workload_id).first()
    if workload is None:
        raise exception.WorkloadNotFound(workload_id=instance.workload_id)
    return _workload_dict(context, workload)


@main_context_manager.reader
def workload_list(context, project_id=None, limit=None, marker=None,
                  type=None, status=None, declared_types=None):
    """Workloads ordered by id; ``marker`` is the last workload_id seen.

    ``type`` matches the declared type, or the classified type when none
    was declared; ``declared_types`` (a sequence) only the workloads whose
    tenant declared one of these types.
    """
    query = context.session.query(models.Workload)
    if project_id is not None:
        query = query.filter_by(project_id=project_id)
    if status is not None:
        query = query.filter_by(status=status)
    if declared_types is not None:
        query = query.filter(
            models.Workload.declared_type.in_(list(declared_types)))
    if type is not None:
        query = query.filter(sa.func.coalesce(
            models.Workload.declared_type,
            models.Workload.classified_type) == type)
    query = utils.paginate(query, models.Workload, 'id', limit, marker,
                      models.Workload.workload_id)
    workloads = query.all()
    instances = {}
    if workloads:
        for row in context.session.query(
                models.Instance.workload_id,
                models.Instance.instance_id).filter(
                models.Instance.workload_id.in_(
                    [w.workload_id for w in workloads]),
                models.Instance.deleted_at.is_(None)).order_by(
                models.Instance.instance_id):
            instances.setdefault(row.workload_id, []).append(row.instance_id)
    result = []
    for workload in workloads:
        item = workload.as_dict()
        item['instances'] = instances.get(workload.workload_id, [])
        result.append(item)
    return result


@main_context_manager.writer
def workload_delete_instance(context, instance_id, deleted_at=None):
    """Mark an instance deleted; the workload ends with its last instance.

    Returns the workload as a dict.
    """
    deleted_at = deleted_at or utils.utcnow()
    instance = context.session.get(models.Instance, instance_id)
    if instance is None:
        raise exception.InstanceNotFound(instance_id=instance_id)
    instance.deleted_at = deleted_at
    _set_ports(context, instance_id, ())
    context.session.flush()
    workload = context.session.query(models.Workload).filter_by(
        workload_id=instance.workload_id).with_for_update().one()
    live = context.session.query(models.Instance).filter_by(
        workload_id=workload.workload_id, deleted_at=None).count()
    if not live:
        workload.status = 'deleted'
        workload.ended_at = deleted_at
    context.session.flush()
    return _workload_dict(context, workload)


@main_context_manager.writer
def instance_update(context, instance_id, values):
    instance = context.session.get(models.Instance, instance_id)
    if instance is None:
        raise exception.InstanceNotFound(instance_id=instance_id)
    for key, value in values.items():
        setattr(instance, key, value)
    if 'records' in values and instance.deleted_at is None:
        _set_ports(context, instance_id,
                   (values['records'] or {}).get('ports') or ())
    context.session.flush()
    return instance.as_dict()


def _set_ports(context, instance_id, ports):
    """Make the :class:`~.models.InstancePort` rows of an instance those
    of ``ports``."""
    table = models.InstancePort
    wanted = {p for p in ports if isinstance(p, str)}
    known = {port for (port,) in context.session.query(
        table.port_id).filter_by(instance_id=instance_id)}
    if known - wanted:
        context.session.query(table).filter(
            table.instance_id == instance_id,
            table.port_id.in_(sorted(known - wanted))).delete(
            synchronize_session=False)
    context.session.add_all(
        table(instance_id=instance_id, port_id=port)
        for port in sorted(wanted - known))


@main_context_manager.reader
def instance_list_by_workload(context, workload_id):
    """The live (not deleted) instances of a workload, as dicts."""
    return utils.dicts(context.session.query(models.Instance).filter_by(
        workload_id=workload_id, deleted_at=None).order_by(
        models.Instance.instance_id))


@main_context_manager.reader
def instance_flavors(context):
    """The distinct flavors recorded on instances (deleted ones
    included), as stored from Nova's notifications, and for each workload
    with one live instance the name of its flavor.

    :returns: (list of flavor dicts, {workload_id: flavor name})
    """
    model = models.Instance
    seen = {}
    single = {}
    live = {}
    for workload_id, flavor, deleted_at in context.session.query(
            model.workload_id, model.flavor, model.deleted_at):
        if not flavor or not flavor.get('name'):
            continue
        seen[flavor['name']] = flavor
        if deleted_at is None:
            live[workload_id] = live.get(workload_id, 0) + 1
            single[workload_id] = flavor['name']
    return (list(seen.values()),
            {w: name for w, name in single.items() if live[w] == 1})


@main_context_manager.reader
def workload_ids_by_instance(context, instance_ids):
    """``{instance_id: workload_id}`` for those of ``instance_ids`` that
    belong to a recorded workload (deleted instances included)."""
    table = models.Instance.__table__
    found = {}
    for chunk in utils.batches(sorted(set(instance_ids))):
        found.update(context.session.execute(
            sa.select(table.c.instance_id, table.c.workload_id).where(
                table.c.instance_id.in_(chunk))).all())
    return found


@main_context_manager.reader
def resource_changes(context, workload_ids):
    """``{workload_id: [(changed_at, resources, accelerator), ...]}``
    oldest first, for those of ``workload_ids`` whose resources changed at
    least once since they were first noted (a workload noted once has had
    the same resources all along)."""
    ids = list(dict.fromkeys(workload_ids))
    table = models.WorkloadResourceChange
    found = {}
    for chunk in utils.batches(ids):
        several = sa.select(table.workload_id).where(
            table.workload_id.in_(chunk)).group_by(
            table.workload_id).having(sa.func.count() > 1)
        rows = context.session.execute(
            sa.select(table.workload_id, table.changed_at, table.resources,
                      table.accelerator).where(
                table.workload_id.in_(several)).order_by(
                table.workload_id, table.changed_at, table.id))
        for row in rows:
            found.setdefault(row.workload_id, []).append(
                (row.changed_at, row.resources or {}, row.accelerator))
    return found


@main_context_manager.writer
def floating_ip_set(context, floatingip_id, values=None):
    """Record a floating IP (``project_id``, ``port_id``, ``device_id``),
    or forget it when ``values`` is None; returns what was recorded of it
    before (a dict, or None)."""
    row = context.session.get(models.FloatingIP, floatingip_id,
                              with_for_update=True)
    before = None if row is None else row.as_dict()
    if values is None:
        if row is not None:
            context.session.delete(row)
    elif row is None:
        context.session.add(models.FloatingIP(floatingip_id=floatingip_id,
                                              **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)
    context.session.flush()
    return before


@main_context_manager.reader
def instances_on_ports(context, project_id, port_ids=(), instance_ids=()):
    """The live instances of ``project_id`` (all projects when None) that
    are one of ``instance_ids`` or own one of ``port_ids`` (the ports of
    their Nova ``ip_addresses``), as dicts."""
    ports, wanted = set(port_ids) - {None}, set(instance_ids) - {None}
    if not ports and not wanted:
        return []
    instance = models.Instance
    match = []
    if wanted:
        match.append(instance.instance_id.in_(sorted(wanted)))
    if ports:
        match.append(instance.instance_id.in_(
            sa.select(models.InstancePort.instance_id).where(
                models.InstancePort.port_id.in_(sorted(ports)))))
    query = context.session.query(instance).filter(
        instance.deleted_at.is_(None), sa.or_(*match))
    if project_id is not None:
        query = query.filter(instance.project_id == project_id)
    return [row.as_dict() for row in query.order_by(instance.instance_id)]


@main_context_manager.reader
def instance_exposed(context, instance_id, port_ids=()):
    """True when a floating IP is associated with the instance (named by
    Neutron) or with one of its ports."""
    table = models.FloatingIP
    match = table.device_id == instance_id
    ports = [p for p in port_ids if p]
    if ports:
        match = match | table.port_id.in_(ports)
    return context.session.query(sa.exists().where(
        table.port_id.isnot(None)).where(match)).scalar()


@main_context_manager.writer
def image_set(context, image_id, values):
    """Record a Glance image's ``name``, ``properties`` and ``tags``."""
    row = context.session.get(models.Image, image_id, with_for_update=True)
    if row is None:
        context.session.add(models.Image(image_id=image_id, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)
    context.session.flush()


@main_context_manager.reader
def image_descriptions(context, image_ids):
    """``{image_id: {'name', 'properties', 'tags'}}`` of the known ones
    of ``image_ids``."""
    ids = sorted({i for i in image_ids if isinstance(i, str)})
    found = {}
    for chunk in utils.batches(ids):
        for row in context.session.query(models.Image).filter(
                models.Image.image_id.in_(chunk)):
            found[row.image_id] = {'name': row.name,
                                   'properties': row.properties or {},
                                   'tags': row.tags or []}
    return found
