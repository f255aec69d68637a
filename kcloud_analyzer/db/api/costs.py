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
"""Hourly cost records and the sums read from them."""

import datetime

import sqlalchemy as sa

from kcloud_analyzer.common import exception
from kcloud_analyzer.db.api import utils
from kcloud_analyzer.db.api.engine import main_context_manager
from kcloud_analyzer.db import models


COST_LINES = ('compute', 'gpu', 'npu', 'storage', 'network', 'energy',
               'idle', 'total')


@main_context_manager.writer
def cost_records_upsert(context, rows):
    """Write cost records in bulk; a record of the same workload, hour and
    basis is replaced."""
    session = context.session
    table = models.CostRecord.__table__
    now = utils.utcnow()
    payload = [dict(row, created_at=now, updated_at=now) for row in rows]
    if not payload:
        return 0
    insert, dialect = utils.dialect_insert(session, table)
    replaced = [c for c in payload[0] if c not in (
        'workload_id', 'hour', 'basis', 'created_at')]
    if dialect == 'mysql':
        stmt = insert.on_duplicate_key_update(
            {c: insert.inserted[c] for c in replaced})
    else:
        stmt = insert.on_conflict_do_update(
            index_elements=['workload_id', 'hour', 'basis'],
            set_={c: insert.excluded[c] for c in replaced})
    for chunk in utils.batches(payload):
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
    return utils.dicts(query.order_by(model.hour, model.basis))


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
                for line in COST_LINES]
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
               for line in COST_LINES]
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
            for line in COST_LINES]
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
        *[latest.c[line].label('latest_' + line) for line in COST_LINES],
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
        'last_hour', 'currency') + COST_LINES}
    result['latest'] = None
    if values['latest_hour'] is not None:
        result['latest'] = dict(
            {line: values['latest_' + line] for line in COST_LINES},
            hour=values['latest_hour'])
    return result
