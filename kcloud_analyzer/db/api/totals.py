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
"""Daily and monthly cost totals, and the cost reads built on them.

:func:`refresh` runs inside the transaction that writes hourly cost
records: it recomputes, in SQL, the totals of every (workload, day),
(workload, month), (project, day) and (project, month) those records fall
in — days from hours, months from days — so a correction to a past hour
updates its totals at once and a total is always the exact sum of its
hours.

Alongside, per project, the workload totals that share a workload type
or an accelerator are summed into ``cost_group_totals`` (from the
workload totals, in the same transaction), so that a summary grouped by
type or accelerator reads a few rows per project and period whatever the
number of workloads.

A read over ``[start, end)`` is cut into at most three levels: whole
months from the monthly totals, the whole days at either edge from the
daily totals, the hours at either edge from the hourly records. Whatever
the window, a workload's cost lookup sums at most 23 + 30 + months + 30 +
23 rows.

The module is over 500 lines on purpose: the writes (refresh, group
totals, rebuild) and the reads (:func:`workload_cost`,
:func:`cost_summary`) share the calendar (day and month boundaries) and
the choice of which table holds which level. Split apart, a change to
one side could silently stop matching the other; together, "a total is
the exact sum of its hours" is checked against one piece of code.
"""

import collections
import datetime
import decimal

import sqlalchemy as sa

from kcloud_analyzer.common import exception
from kcloud_analyzer.db.api import utils
from kcloud_analyzer.db.api.engine import main_context_manager
from kcloud_analyzer.db import models


COST_LINES = ('compute', 'gpu', 'npu', 'storage', 'network', 'energy',
              'idle', 'total')
_SUMMED = COST_LINES + ('energy_kwh', 'estimated_kwh', 'carbon_kg')
#: ids per IN list when refreshing totals
_IDS_PER_STATEMENT = 500
_DAY = datetime.timedelta(days=1)


# -- calendar ---------------------------------------------------------------

def _floor_day(moment):
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _ceil_day(moment):
    day = _floor_day(moment)
    return day if day == moment else day + _DAY


def _floor_month(moment):
    return _floor_day(moment).replace(day=1)


def _next_month(month):
    return (month + datetime.timedelta(days=32)).replace(day=1)


def _ceil_month(moment):
    month = _floor_month(moment)
    return month if month == moment else _next_month(month)


def _day_and_hour_pieces(lo, hi, days, hours):
    first_day, last_day = _ceil_day(lo), _floor_day(hi)
    if first_day < last_day:
        days.append((first_day, last_day))
        if lo < first_day:
            hours.append((lo, first_day))
        if last_day < hi:
            hours.append((last_day, hi))
    elif lo < hi:
        hours.append((lo, hi))


def window_pieces(start, end):
    """Cut ``[start, end)`` (either may be None: unbounded) into ranges of
    whole months, whole days and hours.

    Returns ``(months, days, hours)``, each a list of ``(lo, hi)`` pairs
    (None for an unbounded side; only ``months`` has unbounded pairs).
    """
    months, days, hours = [], [], []
    first_month = _ceil_month(start) if start is not None else None
    last_month = _floor_month(end) if end is not None else None
    if first_month is None or last_month is None or first_month < last_month:
        months.append((first_month, last_month))
        if start is not None:
            _day_and_hour_pieces(start, first_month, days, hours)
        if end is not None:
            _day_and_hour_pieces(last_month, end, days, hours)
    elif start < end:
        _day_and_hour_pieces(start, end, days, hours)
    return months, days, hours


def _in_ranges(column, ranges):
    clauses = []
    for lo, hi in ranges:
        parts = []
        if lo is not None:
            parts.append(column >= lo)
        if hi is not None:
            parts.append(column < hi)
        clauses.append(sa.and_(*parts) if parts else sa.true())
    return sa.or_(*clauses)


def _truncate(dialect, column, period):
    """``column`` truncated to its day or month, as a DATETIME value that
    compares equal to the same moment written by the ORM."""
    if dialect == 'postgresql':
        return sa.func.date_trunc(period, column)
    if dialect == 'mysql':
        fmt = '%Y-%m-%d 00:00:00' if period == 'day' else '%Y-%m-01 00:00:00'
        return sa.cast(sa.func.date_format(column, fmt), sa.DateTime)
    # SQLite keeps datetimes as text in SQLAlchemy's storage format.
    fmt = ('%Y-%m-%d 00:00:00.000000' if period == 'day'
           else '%Y-%m-01 00:00:00.000000')
    return sa.type_coerce(sa.func.strftime(fmt, column), sa.DateTime)


# -- maintenance ------------------------------------------------------------

def _upsert_from_select(session, select, names, model=models.CostTotal,
                        keys=('scope', 'scope_id', 'period',
                              'period_start', 'basis')):
    table = model.__table__
    insert, dialect = utils.dialect_insert(session, table)
    insert = insert.from_select(names, select)
    kept = [name for name in names
            if name not in keys and name != 'created_at']
    if dialect == 'mysql':
        statement = insert.on_duplicate_key_update(
            {name: insert.inserted[name] for name in kept})
    else:
        statement = insert.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: insert.excluded[name] for name in kept})
    session.execute(statement)


def _total_columns(source, now, hours, first_hour, last_hour):
    """The value columns of an INSERT ... SELECT into cost_totals."""
    columns = [sa.func.max(source.c.currency).label('currency')]
    columns += [sa.func.sum(source.c[name]).label(name) for name in _SUMMED]
    columns += [hours.label('hours'), first_hour.label('first_hour'),
                last_hour.label('last_hour'),
                sa.literal(now, sa.DateTime).label('created_at'),
                sa.literal(now, sa.DateTime).label('updated_at')]
    return columns


def _refresh_workload_days(session, dialect, ids, lo, hi, now):
    records = models.CostRecord.__table__
    day = _truncate(dialect, records.c.hour, 'day')
    select = sa.select(
        sa.literal('workload').label('scope'),
        records.c.workload_id.label('scope_id'),
        sa.func.max(records.c.project_id).label('project_id'),
        sa.literal('day').label('period'),
        day.label('period_start'),
        records.c.basis,
        sa.func.max(records.c.workload_type).label('workload_type'),
        sa.func.max(records.c.accelerator).label('accelerator'),
        *_total_columns(records, now, sa.func.count(),
                        sa.func.min(records.c.hour),
                        sa.func.max(records.c.hour)),
    ).where(records.c.workload_id.in_(ids), records.c.hour >= lo,
            records.c.hour < hi
            ).group_by(records.c.workload_id, records.c.basis, day)
    _upsert_from_select(session, select,
                        [c.name for c in select.selected_columns])


def _refresh_rollup(session, dialect, scope, ids, period, lo, hi, now):
    """Totals of ``scope`` for ``period`` from finer rows: a workload's
    months from its days, a project's days from its workloads' days, a
    project's months from its days."""
    totals = models.CostTotal.__table__
    source = totals.alias('source')
    if scope == 'workload':
        source_scope, key = 'workload', source.c.scope_id
    else:
        source_scope = 'workload' if period == 'day' else 'project'
        key = (source.c.project_id if source_scope == 'workload'
               else source.c.scope_id)
    start = (source.c.period_start if period == 'day'
             else _truncate(dialect, source.c.period_start, 'month'))
    select = sa.select(
        sa.literal(scope).label('scope'),
        key.label('scope_id'),
        sa.func.max(source.c.project_id).label('project_id'),
        sa.literal(period).label('period'),
        start.label('period_start'),
        source.c.basis,
        (sa.func.max(source.c.workload_type) if scope == 'workload'
         else sa.null()).label('workload_type'),
        (sa.func.max(source.c.accelerator) if scope == 'workload'
         else sa.null()).label('accelerator'),
        *_total_columns(source, now, sa.func.sum(source.c.hours),
                        sa.func.min(source.c.first_hour),
                        sa.func.max(source.c.last_hour)),
    ).where(
        source.c.scope == source_scope, source.c.period == 'day',
        key.in_(ids), source.c.period_start >= lo,
        source.c.period_start < hi,
    ).group_by(key, source.c.basis, start)
    _upsert_from_select(session, select,
                        [c.name for c in select.selected_columns])


#: dimension of a group total -> the column of the workload totals
_GROUP_COLUMNS = {'type': 'workload_type', 'accelerator': 'accelerator'}
_GROUP_KEYS = ('dimension', 'project_id', 'group_key', 'period',
               'period_start', 'basis', 'currency')


def _refresh_group_rows(session, dimension, period, ids, value, start,
                        hours, held_by, within, now):
    """Group totals of ``dimension`` and ``period`` for the projects
    ``ids`` from the rows of one table (that of ``start``): summed per
    project, group (``value``), period start (``start``), basis and
    currency, ``hours`` counting the hours; ``held_by`` selects the rows of
    that table that count and ``within(column)`` the window. A group no
    row holds any more is deleted."""
    source = start.table
    groups = models.CostGroupTotal.__table__
    select = sa.select(
        sa.literal(dimension).label('dimension'),
        source.c.project_id,
        sa.func.coalesce(sa.literal('=') + value, '').label('group_key'),
        value.label('group_value'),
        sa.literal(period).label('period'),
        start.label('period_start'),
        source.c.basis,
        source.c.currency,
        *[sa.func.sum(source.c[name]).label(name) for name in _SUMMED],
        hours.label('hours'),
        sa.literal(now, sa.DateTime).label('created_at'),
        sa.literal(now, sa.DateTime).label('updated_at'),
    ).where(
        *held_by, source.c.project_id.in_(ids), within(start),
    ).group_by(source.c.project_id, value, start, source.c.basis,
               source.c.currency)
    _upsert_from_select(session, select,
                        [c.name for c in select.selected_columns],
                        model=models.CostGroupTotal, keys=_GROUP_KEYS)
    held = sa.select(source.c.id).where(
        *held_by,
        source.c.project_id == groups.c.project_id,
        start == groups.c.period_start,
        source.c.basis == groups.c.basis,
        source.c.currency == groups.c.currency,
        value.is_not_distinct_from(groups.c.group_value),
    ).correlate(groups)
    session.execute(groups.delete().where(
        groups.c.dimension == dimension, groups.c.period == period,
        groups.c.project_id.in_(ids), within(groups.c.period_start),
        ~held.exists()))


def _refresh_groups(session, dimension, ids, period, lo, hi, now):
    """Totals per project and workload type or accelerator (``dimension``)
    for ``period`` (day or month, starting in ``[lo, hi)``) from the
    workload totals of the same period, so a summary grouped by type or
    accelerator adds up exactly the rows it added up before."""
    totals = models.CostTotal.__table__
    _refresh_group_rows(
        session, dimension, period, ids,
        value=totals.c[_GROUP_COLUMNS[dimension]],
        start=totals.c.period_start, hours=sa.func.sum(totals.c.hours),
        held_by=(totals.c.scope == 'workload', totals.c.period == period),
        within=lambda column: sa.and_(column >= lo, column < hi), now=now)


#: dimension of an hourly group total -> the column of the hourly records
_HOUR_GROUP_COLUMNS = dict(_GROUP_COLUMNS, project='project_id')


def _refresh_group_hours(session, dimension, ids, first_hour, last_hour,
                         now):
    """Hourly totals per project and type, accelerator or project alone
    (``dimension``) of the hours ``[first_hour, last_hour]``, from the
    hourly records: a summary reads them for the hours at its window's
    edges (and for hourly summaries) instead of every workload's
    records."""
    records = models.CostRecord.__table__
    _refresh_group_rows(
        session, dimension, 'hour', ids,
        value=records.c[_HOUR_GROUP_COLUMNS[dimension]],
        start=records.c.hour, hours=sa.func.count(), held_by=(),
        within=lambda column: sa.and_(column >= first_hour,
                                      column <= last_hour), now=now)


def _refresh_all_groups(session, project_ids, first_hour, last_hour,
                        day_lo, day_hi, month_lo, month_hi, now):
    for ids in _chunks(project_ids):
        for dimension in _HOUR_GROUP_COLUMNS:
            _refresh_group_hours(session, dimension, ids, first_hour,
                                 last_hour, now)
        for dimension in _GROUP_COLUMNS:
            _refresh_groups(session, dimension, ids, 'day', day_lo, day_hi,
                            now)
            _refresh_groups(session, dimension, ids, 'month', month_lo,
                            month_hi, now)


def _chunks(values):
    values = sorted(values)
    for first in range(0, len(values), _IDS_PER_STATEMENT):
        yield values[first:first + _IDS_PER_STATEMENT]


def refresh(session, workload_ids, project_ids, first_hour, last_hour):
    """Recompute the totals that the hours ``[first_hour, last_hour]`` of
    ``workload_ids`` (in ``project_ids``) fall in. Runs in the caller's
    transaction."""
    if not workload_ids:
        return
    dialect = session.get_bind().dialect.name
    now = utils.utcnow()
    day_lo, day_hi = _floor_day(first_hour), _floor_day(last_hour) + _DAY
    month_lo = _floor_month(first_hour)
    month_hi = _next_month(_floor_month(last_hour))
    for ids in _chunks(workload_ids):
        _refresh_workload_days(session, dialect, ids, day_lo, day_hi, now)
        _refresh_rollup(session, dialect, 'workload', ids, 'month',
                        month_lo, month_hi, now)
    for ids in _chunks(project_ids):
        _refresh_rollup(session, dialect, 'project', ids, 'day',
                        day_lo, day_hi, now)
        _refresh_rollup(session, dialect, 'project', ids, 'month',
                        month_lo, month_hi, now)
    _refresh_all_groups(session, project_ids, first_hour, last_hour,
                        day_lo, day_hi, month_lo, month_hi, now)


def rebuild(session):
    """Recompute every total from the hourly records (after an upgrade)."""
    records = models.CostRecord.__table__
    bounds = session.execute(sa.select(
        sa.func.min(records.c.hour), sa.func.max(records.c.hour))).one()
    if bounds[0] is None:
        return 0
    workloads = session.execute(
        sa.select(records.c.workload_id, records.c.project_id).distinct()
    ).all()
    refresh(session, {row[0] for row in workloads},
            {row[1] for row in workloads}, bounds[0], bounds[1])
    return len(workloads)


def rebuild_groups(session):
    """Recompute every total per project and type, accelerator or project
    alone from the hourly records and the workload totals (after an
    upgrade)."""
    records = models.CostRecord.__table__
    session.execute(models.CostGroupTotal.__table__.delete())
    bounds = session.execute(sa.select(
        sa.func.min(records.c.hour), sa.func.max(records.c.hour))).one()
    if bounds[0] is None:
        return
    projects = session.execute(
        sa.select(records.c.project_id).distinct()).scalars()
    _refresh_all_groups(
        session, set(projects), bounds[0], bounds[1],
        _floor_day(bounds[0]), _floor_day(bounds[1]) + _DAY,
        _floor_month(bounds[0]), _next_month(_floor_month(bounds[1])),
        utils.utcnow())


@main_context_manager.writer
def cost_totals_rebuild(context):
    """Recompute all daily and monthly totals; returns the number of
    workloads seen."""
    return rebuild(context.session)


# -- reads ------------------------------------------------------------------

def _record_sums(records, ranges, where):
    return sa.select(
        *[sa.func.sum(records.c[name]).label(name) for name in _SUMMED],
        sa.func.count().label('hours'),
        sa.func.min(records.c.hour).label('first_hour'),
        sa.func.max(records.c.hour).label('last_hour'),
        sa.func.max(records.c.currency).label('currency'),
    ).where(*where, _in_ranges(records.c.hour, ranges))


def _total_sums(totals, months, days, where):
    periods = []
    if days:
        periods.append(sa.and_(totals.c.period == 'day',
                               _in_ranges(totals.c.period_start, days)))
    if months:
        periods.append(sa.and_(totals.c.period == 'month',
                               _in_ranges(totals.c.period_start, months)))
    return sa.select(
        *[sa.func.sum(totals.c[name]).label(name) for name in _SUMMED],
        sa.func.sum(totals.c.hours).label('hours'),
        sa.func.min(totals.c.first_hour).label('first_hour'),
        sa.func.max(totals.c.last_hour).label('last_hour'),
        sa.func.max(totals.c.currency).label('currency'),
    ).where(*where, sa.or_(*periods))


def _bound_ranges(prefix, ranges, params):
    """``ranges`` as bind parameters (a None side stays unbounded); the
    shape of the result names which sides are bounded."""
    bound = []
    for number, (lo, hi) in enumerate(ranges):
        names = []
        for side, value in (('lo', lo), ('hi', hi)):
            name = None
            if value is not None:
                name = '%s%d%s' % (prefix, number, side)
                params[name] = value
            names.append(name)
        bound.append(tuple(names))
    return tuple(bound)


def _param_ranges(ranges):
    return [(sa.bindparam(lo) if lo else None, sa.bindparam(hi) if hi
             else None) for lo, hi in ranges]


#: window shape -> the statement of :func:`workload_cost`
_WORKLOAD_COST_STATEMENTS = {}


def _workload_cost_statement(shape):
    """The statement of :func:`workload_cost` for one window shape, built
    once: the cost lookup is the API's hottest path."""
    statement = _WORKLOAD_COST_STATEMENTS.get(shape)
    if statement is None:
        statement = _WORKLOAD_COST_STATEMENTS[shape] = \
            _build_workload_cost_statement(*shape)
    return statement


def _build_workload_cost_statement(months, days, hours):
    records = models.CostRecord.__table__
    totals = models.CostTotal.__table__
    workloads = models.Workload.__table__
    workload_id = sa.bindparam('workload_id')
    basis = sa.bindparam('basis')
    parts = []
    if hours:
        parts.append(_record_sums(records, _param_ranges(hours), [
            records.c.workload_id == workload_id,
            records.c.basis == basis]))
    if months or days:
        parts.append(_total_sums(
            totals, _param_ranges(months), _param_ranges(days), [
                totals.c.scope == 'workload',
                totals.c.scope_id == workload_id,
                totals.c.basis == basis]))
    if parts:
        union = sa.union_all(*parts).subquery('parts')
        summed = sa.select(
            *[sa.func.sum(union.c[name]).label(name) for name in _SUMMED],
            sa.func.coalesce(sa.func.sum(union.c.hours), 0).label('hours'),
            sa.func.min(union.c.first_hour).label('first_hour'),
            sa.func.max(union.c.last_hour).label('last_hour'),
            sa.func.max(union.c.currency).label('currency'),
        ).subquery('summed')
    else:
        summed = sa.select(
            *[sa.null().label(name) for name in _SUMMED],
            sa.literal(0).label('hours'),
            *[sa.cast(sa.null(), sa.DateTime).label(name)
              for name in ('first_hour', 'last_hour')],
            sa.cast(sa.null(), sa.String).label('currency'),
        ).subquery('summed')
    latest = records.alias('latest')
    return sa.select(
        workloads.c.project_id, summed,
        latest.c.hour.label('latest_hour'),
        *[latest.c[line].label('latest_' + line) for line in COST_LINES],
    ).select_from(
        workloads.join(summed, sa.true()).outerjoin(latest, sa.and_(
            latest.c.workload_id == workloads.c.workload_id,
            latest.c.basis == basis,
            latest.c.hour == summed.c.last_hour))
    ).where(workloads.c.workload_id == workload_id)


@main_context_manager.reader
def workload_cost(context, workload_id, start=None, end=None,
                  basis='allocation'):
    """A workload's project, the sums of its cost records over ``[start,
    end)`` and its newest record there, in one statement.

    Returns a dict with each cost line, energy_kwh, estimated_kwh,
    carbon_kg, ``hours`` (records summed), ``first_hour``, ``last_hour``,
    ``currency``, ``project_id`` and ``latest`` (the newest hour's lines
    and ``hour``, None when the window holds no record). Raises
    WorkloadNotFound.
    """
    months, days, hours = window_pieces(start, end)
    params = {'workload_id': workload_id, 'basis': basis}
    shape = (_bound_ranges('m', months, params),
             _bound_ranges('d', days, params),
             _bound_ranges('h', hours, params))
    statement = _workload_cost_statement(shape)
    row = context.session.execute(statement, params).first()
    if row is None:
        raise exception.WorkloadNotFound(workload_id=workload_id)
    values = dict(row._mapping)
    result = {key: values[key] for key in (
        'project_id', 'energy_kwh', 'estimated_kwh', 'carbon_kg', 'hours',
        'first_hour', 'last_hour', 'currency') + COST_LINES}
    result['hours'] = int(result['hours'] or 0)
    result['latest'] = None
    if values['latest_hour'] is not None:
        result['latest'] = dict(
            {line: values['latest_' + line] for line in COST_LINES},
            hour=values['latest_hour'])
    return result


_RECORD_GROUPS = {
    'project': 'project_id',
    'workload': 'workload_id',
    'type': 'workload_type',
    'accelerator': 'accelerator',
}
_TOTAL_GROUPS = {
    'project': ('project', 'scope_id'),
    'workload': ('workload', 'scope_id'),
}


def _as_datetime(value):
    if isinstance(value, str):
        return datetime.datetime.fromisoformat(value)
    return value


@main_context_manager.reader
def cost_summary(context, group_by, period, start=None, end=None,
                 project_id=None, basis='allocation'):
    """Sum cost lines per group and period over ``[start, end)``.

    ``group_by`` is one of project, workload, type, accelerator;
    ``period`` one of hour, day, month. Returns dicts with ``group``,
    ``period_start`` (a datetime), each cost line, energy_kwh, carbon_kg,
    currency and ``hours`` (the number of hourly records summed), ordered
    by period then group. Day and month sums come from the totals (those
    per project and type or accelerator when grouped by either); only the
    hours at a window's edges are read from the hourly records.
    """
    if group_by not in _RECORD_GROUPS:
        raise exception.Invalid(reason='cannot group by %s' % group_by)
    if period not in ('hour', 'day', 'month'):
        raise exception.Invalid(reason='unknown period %s' % period)
    session = context.session
    dialect = session.get_bind().dialect.name
    records = models.CostRecord.__table__
    totals = models.CostTotal.__table__
    if period == 'hour':
        months, days, hours = [], [], [(start, end)]
    else:
        months, days, hours = window_pieces(start, end)
        if period == 'day' and months:
            days, months = days + months, []
    queries = []
    if hours:
        if group_by in _HOUR_GROUP_COLUMNS:
            # Hourly totals per project and group: a few rows an hour.
            table = models.CostGroupTotal.__table__
            group, stamp = table.c.group_value, table.c.period_start
            where = [table.c.dimension == group_by,
                     table.c.period == 'hour']
            counted = sa.func.sum(table.c.hours)
        else:
            table = records
            group = records.c[_RECORD_GROUPS[group_by]]
            stamp = records.c.hour
            where = []
            counted = sa.func.count()
        when = (stamp if period == 'hour'
                else _truncate(dialect, stamp, period))
        where.append(table.c.basis == basis)
        if project_id is not None:
            where.append(table.c.project_id == project_id)
        if hours != [(None, None)]:
            where.append(_in_ranges(stamp, hours))
        queries.append(sa.select(
            group.label('group'), when.label('period_start'),
            table.c.currency,
            *[sa.func.sum(table.c[name]).label(name) for name in _SUMMED],
            counted.label('hours'),
        ).where(*where).group_by(group, when, table.c.currency))
    if months or days:
        if group_by in _GROUP_COLUMNS:
            # Few rows whatever the fleet: projects x groups a period.
            source = models.CostGroupTotal.__table__
            group = source.c.group_value
            where = [source.c.dimension == group_by]
        else:
            source = totals
            scope, column = _TOTAL_GROUPS[group_by]
            group = source.c[column]
            where = [source.c.scope == scope]
        when = (source.c.period_start if period == 'day'
                else _truncate(dialect, source.c.period_start, 'month'))
        periods = []
        if days:
            periods.append(sa.and_(source.c.period == 'day',
                                   _in_ranges(source.c.period_start, days)))
        if months:
            periods.append(sa.and_(source.c.period == 'month',
                                   _in_ranges(source.c.period_start, months)))
        where += [source.c.basis == basis, sa.or_(*periods)]
        if project_id is not None:
            where.append(source.c.project_id == project_id)
        queries.append(sa.select(
            group.label('group'), when.label('period_start'),
            source.c.currency,
            *[sa.func.sum(source.c[name]).label(name) for name in _SUMMED],
            sa.func.sum(source.c.hours).label('hours'),
        ).where(*where).group_by(group, when, source.c.currency))
    merged = collections.OrderedDict()
    for query in queries:
        for row in session.execute(query):
            item = dict(row._mapping)
            item['period_start'] = _as_datetime(item['period_start'])
            key = (item['group'], item['period_start'], item['currency'])
            if key not in merged:
                merged[key] = item
                continue
            into = merged[key]
            for name in _SUMMED + ('hours',):
                if item[name] is not None:
                    into[name] = (item[name] if into[name] is None
                                  else into[name] + item[name])
    result = list(merged.values())
    for item in result:
        item['hours'] = int(item['hours'])
        for line in COST_LINES:
            if item[line] is not None and not isinstance(
                    item[line], decimal.Decimal):
                item[line] = decimal.Decimal(str(item[line]))
    result.sort(key=lambda item: (item['period_start'],
                                  item['group'] is not None,
                                  item['group'] or ''))
    return result
