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
"""The one module that talks SQL.

Every function takes the request context first; the enginefacade
decorators open the reader or writer transaction on it. Results are plain
dicts so that nothing outside this module holds a session.
"""

import datetime
import uuid

from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_log import log
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from kcloud_analyzer.common import exception
from kcloud_analyzer.db import models

LOG = log.getLogger(__name__)

main_context_manager = enginefacade.transaction_context()

#: rows per INSERT statement in bulk writes
BATCH_SIZE = 1000

_UNSUPPORTED_DB_OPTIONS = ('backend', 'use_tpool', 'use_db_reconnect',
                           'db_retry_interval', 'db_inc_retry_interval',
                           'db_max_retry_interval', 'db_max_retries',
                           'mysql_wsrep_sync_wait')


def configure(conf):
    """Point the store at ``conf``'s ``[database]`` options.

    Called once by each service and command after prepare_service(); a
    second call (tests, a config reload) replaces the engine.
    """
    options = {k: v for k, v in conf.database.items()
               if k not in _UNSUPPORTED_DB_OPTIONS}
    factory = enginefacade._TransactionFactory()
    factory.configure(**options)
    main_context_manager.patch_factory(factory)


def get_engine():
    return main_context_manager.writer.get_engine()


def _dicts(rows):
    return [row.as_dict() for row in rows]


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _batches(rows, size=BATCH_SIZE):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _dialect_insert(session, table):
    name = session.get_bind().dialect.name
    if name == 'postgresql':
        return postgresql.insert(table), name
    if name == 'mysql':
        return mysql.insert(table), name
    if name == 'sqlite':
        return sqlite.insert(table), name
    raise exception.ConfigInvalid(reason='unsupported database %s' % name)


def _paginate(query, model, sort_key, limit, marker, marker_column):
    if marker is not None:
        marker_row = query.session.query(model).filter(
            marker_column == marker).first()
        if marker_row is None:
            raise exception.Invalid(
                reason='marker %s was not found' % marker)
        query = query.filter(
            sa.tuple_(getattr(model, sort_key), model.id) >
            sa.tuple_(getattr(marker_row, sort_key), marker_row.id))
    query = query.order_by(getattr(model, sort_key), model.id)
    if limit is not None:
        query = query.limit(limit)
    return query


# ---------------------------------------------------------------- workloads

_WORKLOAD_FIELDS = ('name', 'project_id', 'status', 'declared_type',
                    'classified_type', 'confidence', 'classification',
                    'resources', 'accelerator', 'profile', 'started_at',
                    'ended_at')


@main_context_manager.writer
def workload_create(context, values):
    """Create a workload; WorkloadExists when its id is taken."""
    workload = models.Workload(**values)
    try:
        context.session.add(workload)
        context.session.flush()
    except db_exc.DBDuplicateEntry:
        raise exception.WorkloadExists(workload_id=values['workload_id'])
    return workload.as_dict()


@main_context_manager.writer
def workload_upsert(context, values):
    """Create the workload or update the given fields of it.

    ``values`` may carry ``instances`` (a list of instance UUIDs) which
    are attached to the workload.
    """
    values = dict(values)
    instances = values.pop('instances', None)
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
                  type=None, status=None):
    """Workloads ordered by id; ``marker`` is the last workload_id seen.

    ``type`` matches the declared type, or the classified type when none
    was declared.
    """
    query = context.session.query(models.Workload)
    if project_id is not None:
        query = query.filter_by(project_id=project_id)
    if status is not None:
        query = query.filter_by(status=status)
    if type is not None:
        query = query.filter(sa.func.coalesce(
            models.Workload.declared_type,
            models.Workload.classified_type) == type)
    query = _paginate(query, models.Workload, 'id', limit, marker,
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
    deleted_at = deleted_at or _utcnow()
    instance = context.session.get(models.Instance, instance_id)
    if instance is None:
        raise exception.InstanceNotFound(instance_id=instance_id)
    instance.deleted_at = deleted_at
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
    context.session.flush()
    return instance.as_dict()


# ------------------------------------------------------------ usage rollups

def _rollup_upsert_statement(session):
    table = models.UsageRollup.__table__
    insert, dialect = _dialect_insert(session, table)
    if dialect == 'mysql':
        new = insert.inserted
        # MySQL applies the assignments left to right, each seeing the
        # ones before it: the mean must be computed from the old count.
        return insert.on_duplicate_key_update([
            ('mean', (table.c.mean * table.c.count + new.mean * new.count)
             / (table.c.count + new.count)),
            ('min', sa.func.least(table.c.min, new.min)),
            ('max', sa.func.greatest(table.c.max, new.max)),
            ('count', table.c.count + new.count),
            ('updated_at', new.updated_at),
        ]), dialect
    new = insert.excluded
    least = sa.func.least if dialect == 'postgresql' else sa.func.min
    greatest = sa.func.greatest if dialect == 'postgresql' else sa.func.max
    return insert.on_conflict_do_update(
        index_elements=['workload_id', 'metric', 'window_start'],
        set_={
            'mean': (table.c.mean * table.c.count + new.mean * new.count)
            / (table.c.count + new.count),
            'min': least(table.c.min, new.min),
            'max': greatest(table.c.max, new.max),
            'count': table.c.count + new.count,
            'updated_at': new.updated_at,
        }), dialect


@main_context_manager.writer
def rollups_upsert(context, rows, message_ids=()):
    """Merge rollup rows into the store in bulk, in one transaction.

    ``rows`` are dicts with workload_id, metric, window_start (naive UTC),
    mean, min, max and count, each (workload_id, metric, window_start) at
    most once. A row whose window already exists is merged:
    count-weighted mean, min of the minima, max of the maxima, summed
    count. ``message_ids`` (the messages the rows were folded from) are
    recorded in the same transaction and returned.

    When one of the ids is already recorded, by an earlier or by a
    concurrent transaction (two agents given the same redelivered
    message), nothing is written and DBDeadlock is raised: the caller's
    retry finds the id recorded (``message_ids_seen``) and leaves its
    samples out, so that no sample is ever counted twice.

    An upsert executed for many rows becomes one statement per row; asking
    for RETURNING lets SQLAlchemy send them as multi-row statements
    ("insertmanyvalues") on PostgreSQL, SQLite and MariaDB. MySQL, which
    has no RETURNING, keeps the plain executemany.
    """
    session = context.session
    ids = sorted(set(message_ids))
    messages = models.IngestedMessage.__table__
    existing = set()
    for chunk in _batches(ids):
        existing.update(row[0] for row in session.execute(
            sa.select(messages.c.message_id).where(
                messages.c.message_id.in_(chunk))))
    if existing:
        raise db_exc.DBDeadlock('%d of %d message ids are already recorded'
                                % (len(existing), len(ids)))
    new_ids = ids
    now = _utcnow()
    insert, dialect = _dialect_insert(session, messages)
    returning = session.get_bind().dialect.insert_returning
    if dialect == 'mysql':
        claim = insert.prefix_with('IGNORE')
    else:
        claim = insert.on_conflict_do_nothing()
    if returning:
        claim = claim.returning(messages.c.message_id)
    merge, _ = _rollup_upsert_statement(session)
    if returning:
        merge = merge.returning(models.UsageRollup.__table__.c.id)
    claimed = 0
    for chunk in _batches(new_ids):
        result = session.execute(
            claim, [{'message_id': i, 'created_at': now} for i in chunk])
        claimed += len(result.all()) if returning else result.rowcount
    if claimed != len(new_ids):
        raise db_exc.DBDeadlock('%d of %d message ids were recorded by a '
                                'concurrent transaction'
                                % (len(new_ids) - claimed, len(new_ids)))
    payload = [dict(row, created_at=now, updated_at=now) for row in rows]
    for chunk in _batches(payload):
        result = session.execute(merge, chunk)
        if returning:
            result.all()
    return set(new_ids)


@main_context_manager.reader
def message_ids_seen(context, message_ids):
    """Return which of ``message_ids`` were already ingested."""
    table = models.IngestedMessage.__table__
    seen = set()
    for chunk in _batches(sorted(set(message_ids))):
        seen.update(row[0] for row in context.session.execute(
            sa.select(table.c.message_id).where(
                table.c.message_id.in_(chunk))))
    return seen


@main_context_manager.reader
def rollup_list(context, workload_id=None, metric=None, start=None,
                end=None, limit=None, marker=None, project_id=None):
    """Rollups ordered by window then id; ``marker`` is the last id seen.

    ``start`` is inclusive and ``end`` exclusive. ``project_id`` keeps the
    rollups of that project's workloads only.
    """
    model = models.UsageRollup
    query = context.session.query(model)
    if workload_id is not None:
        query = query.filter(model.workload_id == workload_id)
    if metric is not None:
        query = query.filter(model.metric == metric)
    if start is not None:
        query = query.filter(model.window_start >= start)
    if end is not None:
        query = query.filter(model.window_start < end)
    if project_id is not None:
        query = query.filter(model.workload_id.in_(
            sa.select(models.Workload.workload_id).where(
                models.Workload.project_id == project_id)))
    if marker is not None:
        marker_row = context.session.get(model, marker)
        if marker_row is None:
            raise exception.Invalid(reason='marker %s was not found' % marker)
        query = query.filter(
            sa.tuple_(model.window_start, model.id) >
            sa.tuple_(marker_row.window_start, marker_row.id))
    query = query.order_by(model.window_start, model.id)
    if limit is not None:
        query = query.limit(limit)
    return _dicts(query)


@main_context_manager.writer
def rollups_purge(context, before):
    """Delete rollups of windows before ``before`` and the message ids
    recorded before it; return the number of rollups deleted."""
    deleted = context.session.query(models.UsageRollup).filter(
        models.UsageRollup.window_start < before).delete(
        synchronize_session=False)
    context.session.query(models.IngestedMessage).filter(
        models.IngestedMessage.created_at < before).delete(
        synchronize_session=False)
    return deleted


# ------------------------------------------------------------- cost records

_COST_LINES = ('compute', 'gpu', 'npu', 'storage', 'network', 'energy',
               'idle', 'total')


@main_context_manager.writer
def cost_records_upsert(context, rows):
    """Write cost records in bulk; a record of the same workload, hour and
    basis is replaced."""
    session = context.session
    table = models.CostRecord.__table__
    now = _utcnow()
    payload = [dict(row, created_at=now, updated_at=now) for row in rows]
    if not payload:
        return 0
    insert, dialect = _dialect_insert(session, table)
    replaced = [c for c in payload[0] if c not in (
        'workload_id', 'hour', 'basis', 'created_at')]
    if dialect == 'mysql':
        stmt = insert.on_duplicate_key_update(
            {c: insert.inserted[c] for c in replaced})
    else:
        stmt = insert.on_conflict_do_update(
            index_elements=['workload_id', 'hour', 'basis'],
            set_={c: insert.excluded[c] for c in replaced})
    for chunk in _batches(payload):
        session.execute(stmt, chunk)
    return len(payload)


@main_context_manager.reader
def cost_record_list(context, workload_id, start=None, end=None,
                     basis=None):
    """Hourly cost records of a workload, oldest first."""
    model = models.CostRecord
    query = context.session.query(model).filter(
        model.workload_id == workload_id)
    if basis is not None:
        query = query.filter(model.basis == basis)
    if start is not None:
        query = query.filter(model.hour >= start)
    if end is not None:
        query = query.filter(model.hour < end)
    return _dicts(query.order_by(model.hour, model.basis))


_GROUP_COLUMNS = {
    'project': models.CostRecord.project_id,
    'workload': models.CostRecord.workload_id,
    'type': models.CostRecord.workload_type,
    'accelerator': models.CostRecord.accelerator,
}


def _period_expression(dialect, period):
    hour = models.CostRecord.hour
    if period == 'hour':
        return hour
    if dialect == 'postgresql':
        return sa.func.date_trunc(period, hour)
    if dialect == 'mysql':
        fmt = '%Y-%m-%d 00:00:00' if period == 'day' else '%Y-%m-01 00:00:00'
        return sa.func.date_format(hour, fmt)
    fmt = '%Y-%m-%d 00:00:00' if period == 'day' else '%Y-%m-01 00:00:00'
    return sa.func.strftime(fmt, hour)


@main_context_manager.reader
def cost_summary(context, group_by, period, start=None, end=None,
                 project_id=None, basis='allocation'):
    """Sum cost lines per group and period.

    ``group_by`` is one of project, workload, type, accelerator;
    ``period`` one of hour, day, month. Returns dicts with ``group``,
    ``period_start`` (a datetime), each cost line, energy_kwh, carbon_kg,
    currency and ``hours`` (the number of hourly records summed).
    """
    if group_by not in _GROUP_COLUMNS:
        raise exception.Invalid(reason='cannot group by %s' % group_by)
    if period not in ('hour', 'day', 'month'):
        raise exception.Invalid(reason='unknown period %s' % period)
    model = models.CostRecord
    session = context.session
    dialect = session.get_bind().dialect.name
    group_col = _GROUP_COLUMNS[group_by]
    period_col = _period_expression(dialect, period)
    columns = [group_col.label('group'), period_col.label('period_start'),
               model.currency]
    columns += [sa.func.sum(getattr(model, line)).label(line)
                for line in _COST_LINES]
    columns += [sa.func.sum(model.energy_kwh).label('energy_kwh'),
                sa.func.sum(model.carbon_kg).label('carbon_kg'),
                sa.func.count(model.id).label('hours')]
    query = session.query(*columns).filter(model.basis == basis)
    if project_id is not None:
        query = query.filter(model.project_id == project_id)
    if start is not None:
        query = query.filter(model.hour >= start)
    if end is not None:
        query = query.filter(model.hour < end)
    query = query.group_by(group_col, period_col, model.currency).order_by(
        period_col, group_col)
    result = []
    for row in query:
        item = dict(row._mapping)
        if isinstance(item['period_start'], str):
            item['period_start'] = datetime.datetime.fromisoformat(
                item['period_start'])
        result.append(item)
    return result


@main_context_manager.reader
def cost_records_latest_hour(context):
    """The newest hour that has cost records, or None."""
    return context.session.query(sa.func.max(models.CostRecord.hour)).scalar()


# -------------------------------------------------------------- predictions

@main_context_manager.writer
def prediction_create(context, values):
    values = dict(values)
    values.setdefault('uuid', str(uuid.uuid4()))
    prediction = models.Prediction(**values)
    context.session.add(prediction)
    context.session.flush()
    return prediction.as_dict()


@main_context_manager.reader
def prediction_list(context, workload_id=None, project_id=None, limit=None):
    model = models.Prediction
    query = context.session.query(model)
    if workload_id is not None:
        query = query.filter(model.workload_id == workload_id)
    if project_id is not None:
        query = query.filter(model.project_id == project_id)
    query = query.order_by(model.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return _dicts(query)


# ----------------------------------------------------------- model versions

@main_context_manager.writer
def model_version_create(context, values):
    """Record a trained model; ModelVersionExists on a taken version."""
    version = models.ModelVersion(**values)
    try:
        context.session.add(version)
        context.session.flush()
    except db_exc.DBDuplicateEntry:
        raise exception.ModelVersionExists(name=values['name'],
                                           version=values['version'])
    return version.as_dict()


@main_context_manager.reader
def model_version_get_latest(context, name):
    """The newest version of model ``name`` as a dict, or None."""
    version = context.session.query(models.ModelVersion).filter_by(
        name=name).order_by(models.ModelVersion.version.desc()).first()
    return version.as_dict() if version is not None else None


@main_context_manager.reader
def model_version_next(context, name):
    """The version number the next trained ``name`` model gets."""
    current = context.session.query(
        sa.func.max(models.ModelVersion.version)).filter_by(
        name=name).scalar()
    return (current or 0) + 1


@main_context_manager.reader
def model_version_list(context, name=None):
    query = context.session.query(models.ModelVersion)
    if name is not None:
        query = query.filter_by(name=name)
    return _dicts(query.order_by(models.ModelVersion.name,
                                 models.ModelVersion.version))


# ---------------------------------------------------------- recommendations

@main_context_manager.writer
def recommendations_replace(context, workload_id, rows):
    """Replace the recommendations of a workload with ``rows``."""
    context.session.query(models.Recommendation).filter_by(
        workload_id=workload_id).delete(synchronize_session=False)
    created = []
    for row in rows:
        values = dict(row, workload_id=workload_id)
        values.setdefault('uuid', str(uuid.uuid4()))
        recommendation = models.Recommendation(**values)
        context.session.add(recommendation)
        created.append(recommendation)
    context.session.flush()
    return [r.as_dict() for r in created]


@main_context_manager.reader
def recommendation_list(context, project_id=None, workload_id=None,
                        limit=None):
    """Recommendations, the largest monthly saving first."""
    model = models.Recommendation
    query = context.session.query(model)
    if project_id is not None:
        query = query.filter(model.project_id == project_id)
    if workload_id is not None:
        query = query.filter(model.workload_id == workload_id)
    query = query.order_by(model.monthly_saving.desc(), model.id)
    if limit is not None:
        query = query.limit(limit)
    return _dicts(query)


@main_context_manager.reader
def instance_list_by_workload(context, workload_id):
    """The live (not deleted) instances of a workload, as dicts."""
    return _dicts(context.session.query(models.Instance).filter_by(
        workload_id=workload_id, deleted_at=None).order_by(
        models.Instance.instance_id))


@main_context_manager.reader
def cost_totals(context, workload_id, start=None, end=None,
                basis='allocation'):
    """Sums of a workload's cost records over ``[start, end)`` and its
    newest record in that window (None when there is none).

    Returns a dict with each cost line, energy_kwh, carbon_kg, ``hours``
    (records summed), ``first_hour``, ``last_hour``, ``currency`` and
    ``latest``.
    """
    model = models.CostRecord
    filters = [model.workload_id == workload_id, model.basis == basis]
    if start is not None:
        filters.append(model.hour >= start)
    if end is not None:
        filters.append(model.hour < end)
    columns = [sa.func.sum(getattr(model, line)).label(line)
               for line in _COST_LINES]
    columns += [sa.func.sum(model.energy_kwh).label('energy_kwh'),
                sa.func.sum(model.carbon_kg).label('carbon_kg'),
                sa.func.count(model.id).label('hours'),
                sa.func.min(model.hour).label('first_hour'),
                sa.func.max(model.hour).label('last_hour'),
                sa.func.max(model.currency).label('currency')]
    totals = dict(context.session.query(*columns).filter(*filters)
                  .one()._mapping)
    latest = None
    if totals['hours']:
        latest = context.session.query(model).filter(
            *filters, model.hour == totals['last_hour']).first()
    totals['latest'] = latest.as_dict() if latest is not None else None
    return totals


@main_context_manager.reader
def cost_records_watermark(context):
    """The highest cost record id: it grows with every new record, so a
    cached cost summary keyed on it is dropped when records arrive."""
    return context.session.query(
        sa.func.max(models.CostRecord.id)).scalar() or 0


@main_context_manager.reader
def store_statistics(context):
    """Figures for the service's Prometheus exposition.

    ``samples_ingested`` (the samples folded into rollups),
    ``workloads_by_type`` ({type: live workloads}) and ``cost_per_hour``
    ({(currency, line): sum over workloads} for the newest hour with
    allocation-basis cost records).
    """
    session = context.session
    samples = session.query(
        sa.func.sum(models.UsageRollup.count)).scalar() or 0
    kind = sa.func.coalesce(models.Workload.declared_type,
                            models.Workload.classified_type)
    by_type = dict(session.query(kind, sa.func.count(models.Workload.id))
                   .filter(models.Workload.status == 'active')
                   .group_by(kind).all())
    model = models.CostRecord
    latest = session.query(sa.func.max(model.hour)).filter(
        model.basis == 'allocation').scalar()
    cost = {}
    if latest is not None:
        lines = [sa.func.sum(getattr(model, line)).label(line)
                 for line in _COST_LINES]
        for row in session.query(model.currency, *lines).filter(
                model.hour == latest, model.basis == 'allocation').group_by(
                model.currency):
            for line in _COST_LINES:
                cost[(row.currency, line)] = float(getattr(row, line) or 0)
    return {'samples_ingested': int(samples), 'workloads_by_type': by_type,
            'cost_per_hour': cost}


@main_context_manager.reader
def ping(context):
    """Run a trivial query; raises when the database does not answer."""
    context.session.execute(sa.text('SELECT 1')).scalar()


@main_context_manager.reader
def rollups_updated_since(context, since, limit=None):
    """Rollups created or merged into at or after ``since`` (naive UTC),
    oldest change first: what an exporter has not sent yet."""
    model = models.UsageRollup
    query = context.session.query(model).filter(
        model.updated_at >= since).order_by(model.updated_at, model.id)
    if limit is not None:
        query = query.limit(limit)
    return _dicts(query)


@main_context_manager.reader
def workload_ids_by_instance(context, instance_ids):
    """``{instance_id: workload_id}`` for those of ``instance_ids`` that
    belong to a recorded workload (deleted instances included)."""
    model = models.Instance
    found = {}
    for chunk in _batches(sorted(set(instance_ids))):
        found.update(context.session.query(
            model.instance_id, model.workload_id).filter(
            model.instance_id.in_(chunk)).all())
    return found


#: (has start, has end) -> the statement of :func:`workload_cost`
_WORKLOAD_COST_STATEMENTS = {}


def _workload_cost_statement(has_start, has_end):
    """The statement of :func:`workload_cost`, built once per shape: the
    cost lookup is the API's hottest path."""
    key = (has_start, has_end)
    if key not in _WORKLOAD_COST_STATEMENTS:
        _WORKLOAD_COST_STATEMENTS[key] = _build_workload_cost_statement(
            has_start, has_end)
    return _WORKLOAD_COST_STATEMENTS[key]


def _build_workload_cost_statement(has_start, has_end):
    model = models.CostRecord
    workloads = models.Workload.__table__
    basis = sa.bindparam('basis')
    filters = [model.workload_id == sa.bindparam('workload_id'),
               model.basis == basis]
    if has_start:
        filters.append(model.hour >= sa.bindparam('start'))
    if has_end:
        filters.append(model.hour < sa.bindparam('end'))
    sums = [sa.func.sum(getattr(model, line)).label(line)
            for line in _COST_LINES]
    totals = sa.select(
        *sums,
        sa.func.sum(model.energy_kwh).label('energy_kwh'),
        sa.func.sum(model.carbon_kg).label('carbon_kg'),
        sa.func.count(model.id).label('hours'),
        sa.func.min(model.hour).label('first_hour'),
        sa.func.max(model.hour).label('last_hour'),
        sa.func.max(model.currency).label('currency'),
    ).where(*filters).subquery('totals')
    latest = model.__table__.alias('latest')
    return sa.select(
        workloads.c.project_id, totals,
        latest.c.hour.label('latest_hour'),
        *[latest.c[line].label('latest_' + line) for line in _COST_LINES],
    ).select_from(
        workloads.join(totals, sa.true()).outerjoin(latest, sa.and_(
            latest.c.workload_id == workloads.c.workload_id,
            latest.c.basis == basis,
            latest.c.hour == totals.c.last_hour))
    ).where(workloads.c.workload_id == sa.bindparam('workload_id'))


@main_context_manager.reader
def workload_cost(context, workload_id, start=None, end=None,
                  basis='allocation'):
    """A workload's project and :func:`cost_totals`, in one statement.

    The API answers cost lookups with this: one round trip to the
    database instead of four. Raises WorkloadNotFound; ``latest`` is None
    when the window holds no record.
    """
    statement = _workload_cost_statement(start is not None, end is not None)
    params = {'workload_id': workload_id, 'basis': basis}
    if start is not None:
        params['start'] = start
    if end is not None:
        params['end'] = end
    row = context.session.execute(statement, params).first()
    if row is None:
        raise exception.WorkloadNotFound(workload_id=workload_id)
    values = dict(row._mapping)
    result = {key: values[key] for key in (
        'project_id', 'energy_kwh', 'carbon_kg', 'hours', 'first_hour',
        'last_hour', 'currency') + _COST_LINES}
    result['latest'] = None
    if values['latest_hour'] is not None:
        result['latest'] = dict(
            {line: values['latest_' + line] for line in _COST_LINES},
            hour=values['latest_hour'])
    return result


def sqlite_use_wal():
    """Put a SQLite store in write-ahead-log mode (kept in the file).

    Readers then never wait for a writer: the embedded default runs the
    API and the agent on one SQLite file. Other databases are left alone.
    """
    engine = get_engine()
    if engine.dialect.name == 'sqlite':
        # The journal mode cannot change inside a transaction, which the
        # engine's connections always open: use the driver's own.
        connection = engine.raw_connection()
        try:
            connection.driver_connection.execute('PRAGMA journal_mode=WAL')
        finally:
            connection.close()
