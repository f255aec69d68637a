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
"""Usage rollups and the ids of the messages folded into them.

The module is over 500 lines because the bulk merge, the hot path of
ingestion, has one form per database (COPY into a staging table on
PostgreSQL, a multi-row ``INSERT … ON DUPLICATE KEY UPDATE`` on
MySQL/MariaDB, the dialect's upsert elsewhere) and each must run in the
same transaction as the claim of the message ids; the reads, the purge,
the hourly downsampling and the poll watermarks act on the same rows and
sit beside it.
"""

import io
import itertools
import re

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from kcloud_analyzer.common import exception
from kcloud_analyzer.db.api import utils
from kcloud_analyzer.db.api.engine import get_engine
from kcloud_analyzer.db.api.engine import main_context_manager
from kcloud_analyzer.db import models

#: the columns of a rollup row given to :func:`rollups_upsert`
ROLLUP_COLUMNS = ('workload_id', 'metric', 'window_start', 'mean', 'min',
                  'max', 'count')
_STORED_COLUMNS = ROLLUP_COLUMNS + ('created_at', 'updated_at')
_KEY = ('workload_id', 'metric', 'window_start')

#: PostgreSQL drivers whose COPY the store uses
_COPY_DRIVERS = ('psycopg2', 'psycopg')
#: a temporary table per connection, emptied by every commit
_STAGING = 'kca_rollups_staging_v1'
_CREATE_STAGING = (
    'CREATE TEMPORARY TABLE IF NOT EXISTS %s ('
    'workload_id VARCHAR(255) NOT NULL, metric VARCHAR(64) NOT NULL, '
    'window_start TIMESTAMP WITHOUT TIME ZONE NOT NULL, '
    'mean DOUBLE PRECISION NOT NULL, min DOUBLE PRECISION NOT NULL, '
    'max DOUBLE PRECISION NOT NULL, count INTEGER NOT NULL) '
    'ON COMMIT DELETE ROWS' % _STAGING)
_COPY_STAGING = 'COPY %s (%s) FROM STDIN WITH (FORMAT csv)' % (
    _STAGING, ', '.join(ROLLUP_COLUMNS))
_CLAIM_ARRAY = sa.text(
    'INSERT INTO ingested_messages (message_id, created_at) '
    'SELECT message_id, :now FROM unnest(CAST(:ids AS VARCHAR[])) '
    'AS claimed (message_id) ORDER BY message_id ON CONFLICT DO NOTHING')
_CLAIM_ROWS = ('INSERT IGNORE INTO ingested_messages (message_id, created_at) '
               'VALUES ')
#: rows per multi-row statement (MySQL) or executemany batch
_ROWS_PER_STATEMENT = 1000


def _merge_assignments(table, new, dialect):
    """How a stored rollup and an incoming one (``new``: ``excluded`` or
    ``VALUES()``) merge: count-weighted mean, min of the minima, max of the
    maxima, summed count.

    MySQL applies the assignments left to right, each seeing the ones
    before it: the mean must be computed from the old count, so it comes
    first.
    """
    least = sa.func.min if dialect == 'sqlite' else sa.func.least
    greatest = sa.func.max if dialect == 'sqlite' else sa.func.greatest
    return [
        ('mean', (table.c.mean * table.c.count + new.mean * new.count)
         / (table.c.count + new.count)),
        ('min', least(table.c.min, new.min)),
        ('max', greatest(table.c.max, new.max)),
        ('count', table.c.count + new.count),
        ('updated_at', new.updated_at),
    ]


def _rollup_upsert_statement(session):
    table = models.UsageRollup.__table__
    insert, dialect = utils.dialect_insert(session, table)
    if dialect == 'mysql':
        return insert.on_duplicate_key_update(
            _merge_assignments(table, insert.inserted, dialect)), dialect
    return insert.on_conflict_do_update(
        index_elements=list(_KEY),
        set_=dict(_merge_assignments(table, insert.excluded, dialect))), \
        dialect


def _staging_merge_statement():
    """``INSERT … SELECT`` from the staging table, merging like
    :func:`_rollup_upsert_statement` (the same assignments)."""
    from sqlalchemy.dialects import postgresql
    table = models.UsageRollup.__table__
    staging = sa.table(_STAGING, *[sa.column(c) for c in ROLLUP_COLUMNS])
    now = sa.bindparam('now', type_=sa.DateTime)
    # rows in key order: concurrent writers lock existing rows in the same
    # order and cannot deadlock each other
    rows = sa.select(*[staging.c[c] for c in ROLLUP_COLUMNS],
                     now.label('created_at'), now.label('updated_at')
                     ).order_by(*[staging.c[c] for c in _KEY])
    insert = postgresql.insert(table).from_select(list(_STORED_COLUMNS),
                                                  rows)
    return insert.on_conflict_do_update(
        index_elements=list(_KEY),
        set_=dict(_merge_assignments(table, insert.excluded, 'postgresql')))


_STAGING_MERGE = _staging_merge_statement()


def _rollup_frame(rows):
    """``rows`` (dicts or a frame) as a frame of :data:`ROLLUP_COLUMNS`."""
    if isinstance(rows, pd.DataFrame):
        return rows[list(ROLLUP_COLUMNS)]
    return pd.DataFrame.from_records(list(rows), columns=ROLLUP_COLUMNS)


def _driver_error(connection, statement, error):
    """A DBAPI error raised outside SQLAlchemy's execution (COPY), as
    SQLAlchemy raises it: a lost connection is invalidated and comes out
    as an OperationalError, which the callers retry."""
    dialect = connection.dialect
    invalidated = dialect.is_disconnect(error, connection.connection, None)
    if invalidated:
        connection.invalidate(error)
    return sa_exc.DBAPIError.instance(
        statement, None, error, dialect.loaded_dbapi.Error,
        hide_parameters=True, connection_invalidated=invalidated,
        dialect=dialect)


def _copy_in(connection, statement, data):
    """COPY ``data`` (CSV text) in with the driver's own COPY support."""
    raw = connection.connection.driver_connection
    try:
        with raw.cursor() as cursor:
            if connection.dialect.driver == 'psycopg2':
                cursor.copy_expert(statement, io.StringIO(data))
            else:
                with cursor.copy(statement) as copy:
                    copy.write(data)
    except connection.dialect.loaded_dbapi.Error as error:
        raise _driver_error(connection, statement, error) from error


def _distinct_formatted(values, format_one):
    """``format_one`` applied to each distinct value only (a batch's ids,
    metrics and windows repeat), as an object array aligned with
    ``values``."""
    codes, uniques = pd.factorize(values)
    return np.array([format_one(value) for value in uniques],
                    dtype=object)[codes]


def _quoted(value):
    return '"%s"' % str(value).replace('"', '""')


def _csv(frame):
    """The rows as CSV for COPY. Text is quoted, so any character a column
    holds stays intact; floats are written as their shortest repr, which
    PostgreSQL reads back as the same double."""
    starts = pd.to_datetime(frame['window_start'])
    columns = [
        _distinct_formatted(frame['workload_id'].to_numpy(dtype=object),
                            _quoted),
        _distinct_formatted(frame['metric'].to_numpy(dtype=object), _quoted),
        _distinct_formatted(starts.to_numpy(),
                            lambda t: pd.Timestamp(t).isoformat(sep=' ')),
    ]
    columns += [map(repr, frame[c].astype('float64').tolist())
                for c in ('mean', 'min', 'max')]
    columns.append(map(str, frame['count'].astype('int64').tolist()))
    return ''.join(line + '\n' for line in map(
        ','.join, zip(*columns, strict=True)))


def _ensure_staging(session):
    """Create the staging table of the session's connection, unless a
    transaction of that connection that created it was committed (a
    rollback takes the table away again; a new connection has none)."""
    connection = session.connection()
    info = connection.info
    if not info.get(_STAGING):
        connection.exec_driver_sql(_CREATE_STAGING)
        sa.event.listen(session, 'after_commit',
                        lambda _: info.__setitem__(_STAGING, True),
                        once=True)
    return connection


def _merge_copy(session, frame, now):
    """PostgreSQL: COPY the rows into a temporary staging table, then merge
    them with one ``INSERT … SELECT … ON CONFLICT DO UPDATE``."""
    connection = _ensure_staging(session)
    _copy_in(connection, _COPY_STAGING, _csv(frame))
    connection.execute(_STAGING_MERGE, {'now': now})


_MYSQL_VALUES = re.compile(
    r'^(?P<head>.*? VALUES )(?P<group>\((?:%s|%\(\w+\)s)'
    r'(?:, (?:%s|%\(\w+\)s))*\))(?P<tail>.*)$', re.S)
_mysql_merge_sql = {}


def _mysql_merge_parts(dialect):
    """(head, tail) of the multi-row merge statement, compiled by
    SQLAlchemy from :func:`_merge_assignments` for this server (VALUES()
    or a row alias)."""
    key = (dialect.name, dialect.server_version_info)
    if key not in _mysql_merge_sql:
        from sqlalchemy.dialects import mysql
        table = models.UsageRollup.__table__
        insert = mysql.insert(table).values(
            {c: sa.bindparam(c) for c in _STORED_COLUMNS})
        statement = insert.on_duplicate_key_update(
            _merge_assignments(table, insert.inserted, 'mysql'))
        text = str(statement.compile(dialect=dialect))
        match = _MYSQL_VALUES.match(text)
        if (match is None or '%' in match.group('tail') or
                match.group('group').count('%') != len(_STORED_COLUMNS)):
            raise RuntimeError('unexpected statement: %s' % text)
        _mysql_merge_sql[key] = (match.group('head'), match.group('tail'))
    return _mysql_merge_sql[key]


def _merge_multirow(session, frame, now):
    """MySQL/MariaDB: one multi-row ``INSERT … ON DUPLICATE KEY UPDATE``
    per :data:`_ROWS_PER_STATEMENT` rows, in key order."""
    connection = session.connection()
    head, tail = _mysql_merge_parts(connection.dialect)
    frame = frame.sort_values(list(_KEY), kind='stable')
    columns = [frame[c].tolist() for c in ROLLUP_COLUMNS[:2]]
    columns.append(list(pd.to_datetime(frame['window_start'])
                        .dt.to_pydatetime()))
    columns += [frame[c].astype('float64').tolist()
                for c in ('mean', 'min', 'max')]
    columns.append(frame['count'].astype('int64').tolist())
    rows = list(zip(*columns, itertools.repeat(now, len(frame)),
                    itertools.repeat(now, len(frame)), strict=False))
    group = '(%s)' % ', '.join(['%s'] * len(_STORED_COLUMNS))
    for chunk in utils.batches(rows, _ROWS_PER_STATEMENT):
        connection.exec_driver_sql(
            head + ', '.join([group] * len(chunk)) + tail,
            tuple(itertools.chain.from_iterable(chunk)))


def _merge_generic(session, frame, now):
    """Any other database (SQLite): the dialect's upsert, executed for
    many rows. Asking for RETURNING lets SQLAlchemy send them as multi-row
    statements ("insertmanyvalues")."""
    merge, _ = _rollup_upsert_statement(session)
    returning = session.get_bind().dialect.insert_returning
    if returning:
        merge = merge.returning(models.UsageRollup.__table__.c.id)
    payload = frame.assign(
        window_start=list(pd.to_datetime(frame['window_start'])
                          .dt.to_pydatetime()),
        count=frame['count'].astype('int64'),
        created_at=now, updated_at=now).to_dict('records')
    for row in payload:
        row['count'] = int(row['count'])
    for chunk in utils.batches(payload, _ROWS_PER_STATEMENT):
        result = session.execute(merge, chunk)
        if returning:
            result.all()


def _claim(session, ids, now):
    """Record ``ids``; return how many were not recorded before."""
    dialect = session.get_bind().dialect
    if not ids:
        return 0
    if dialect.name == 'postgresql':
        return session.execute(_CLAIM_ARRAY,
                               {'ids': ids, 'now': now}).rowcount
    messages = models.IngestedMessage.__table__
    if dialect.name == 'mysql':
        connection = session.connection()
        claimed = 0
        for chunk in utils.batches(ids, _ROWS_PER_STATEMENT):
            claimed += connection.exec_driver_sql(
                _CLAIM_ROWS + ', '.join(['(%s, %s)'] * len(chunk)),
                tuple(itertools.chain.from_iterable(
                    (i, now) for i in chunk))).rowcount
        return claimed
    insert, _ = utils.dialect_insert(session, messages)
    claim = insert.on_conflict_do_nothing()
    returning = dialect.insert_returning
    if returning:
        claim = claim.returning(messages.c.message_id)
    claimed = 0
    for chunk in utils.batches(ids):
        result = session.execute(
            claim, [{'message_id': i, 'created_at': now} for i in chunk])
        claimed += len(result.all()) if returning else result.rowcount
    return claimed


@main_context_manager.writer
def rollups_upsert(context, rows, message_ids=()):
    """Merge rollup rows into the store in bulk, in one transaction.

    ``rows`` are dicts, or a frame, with workload_id, metric, window_start
    (naive UTC), mean, min, max and count, each (workload_id, metric,
    window_start) at most once. A row whose window already exists is
    merged: count-weighted mean, min of the minima, max of the maxima,
    summed count. ``message_ids`` (the messages the rows were folded from)
    are recorded in the same transaction and returned.

    When one of the ids is already recorded, by an earlier or by a
    concurrent transaction (two agents given the same redelivered
    message), nothing is written and MessagesAlreadyRecorded is raised (a
    retryable error, see :data:`.engine.RETRYABLE_ERRORS`): the caller's
    retry finds the id recorded (``message_ids_seen``) and leaves its
    samples out, so that no sample is ever counted twice.

    Each database gets its fast bulk path: on PostgreSQL (psycopg2 or
    psycopg) the ids are claimed with one statement over an array and the
    rows are COPYed into a temporary staging table, then merged with one
    ``INSERT … SELECT … ON CONFLICT DO UPDATE``; on MySQL/MariaDB both are
    multi-row statements (``INSERT IGNORE``, ``ON DUPLICATE KEY UPDATE``);
    elsewhere (SQLite) the dialect's upsert is executed for many rows.
    """
    session = context.session
    ids = sorted(set(message_ids))
    now = utils.utcnow()
    # The claim itself tells which ids were recorded before, by an earlier
    # or a concurrent transaction: no separate look-up round trip.
    claimed = _claim(session, ids, now)
    if claimed != len(ids):
        raise exception.MessagesAlreadyRecorded(
            recorded=len(ids) - claimed, total=len(ids), by='')
    frame = _rollup_frame(rows)
    if frame.empty:
        return set(ids)
    dialect = session.get_bind().dialect
    if dialect.name == 'postgresql' and dialect.driver in _COPY_DRIVERS:
        _merge_copy(session, frame, now)
    elif dialect.name == 'mysql':
        _merge_multirow(session, frame, now)
    else:
        _merge_generic(session, frame, now)
    return set(ids)


@main_context_manager.writer
def _create_staging(context):
    _ensure_staging(context.session)


def rollups_prepare(context):
    """Start the store ahead of the first batch of samples: the engine
    and its first pooled connection (the driver's connection and the
    dialect's first queries), and on PostgreSQL that connection's staging
    table, so that the first :func:`rollups_upsert` pays for none of
    them. Raises what the database raises."""
    dialect = get_engine().dialect
    if dialect.name == 'postgresql' and dialect.driver in _COPY_DRIVERS:
        _create_staging(context)


@main_context_manager.reader
def message_ids_seen(context, message_ids):
    """Return which of ``message_ids`` were already ingested."""
    table = models.IngestedMessage.__table__
    seen = set()
    for chunk in utils.batches(sorted(set(message_ids))):
        seen.update(row[0] for row in context.session.execute(
            sa.select(table.c.message_id).where(
                table.c.message_id.in_(chunk))))
    return seen


@main_context_manager.reader
def rollup_means(context, workload_ids, start=None, end=None):
    """The window means of the rollups of ``workload_ids`` as plain rows
    ``(workload_id, metric, window_start, mean)``, no ORM objects: the
    analysis jobs read them batch by batch.

    ``start`` is inclusive and ``end`` exclusive.
    """
    table = models.UsageRollup.__table__
    rows = []
    for chunk in utils.batches(sorted(set(workload_ids))):
        query = sa.select(table.c.workload_id, table.c.metric,
                          table.c.window_start, table.c.mean).where(
            table.c.workload_id.in_(chunk))
        if start is not None:
            query = query.where(table.c.window_start >= start)
        if end is not None:
            query = query.where(table.c.window_start < end)
        rows += context.session.execute(query).all()
    return rows


@main_context_manager.reader
def rollup_counts(context, workload_ids, start=None, end=None):
    """``{workload_id: number of rollups}`` of those of ``workload_ids``
    that have any from ``start`` (inclusive) to ``end`` (exclusive)."""
    table = models.UsageRollup.__table__
    counts = {}
    for chunk in utils.batches(sorted(set(workload_ids))):
        query = sa.select(table.c.workload_id, sa.func.count()).where(
            table.c.workload_id.in_(chunk)).group_by(table.c.workload_id)
        if start is not None:
            query = query.where(table.c.window_start >= start)
        if end is not None:
            query = query.where(table.c.window_start < end)
        counts.update(context.session.execute(query).all())
    return counts


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
    return utils.dicts(query)


@main_context_manager.writer
def rollups_purge(context, before):
    """Delete rollups of windows before ``before``, the message ids
    recorded before it and the poll watermarks last moved before it;
    return the number of rollups deleted."""
    deleted = context.session.query(models.UsageRollup).filter(
        models.UsageRollup.window_start < before).delete(
        synchronize_session=False)
    context.session.query(models.IngestedMessage).filter(
        models.IngestedMessage.created_at < before).delete(
        synchronize_session=False)
    # targets nobody polled since then (gone from their source)
    context.session.query(models.PollWatermark).filter(
        models.PollWatermark.updated_at < before).delete(
        synchronize_session=False)
    return deleted


@main_context_manager.reader
def rollups_updated_since(context, since, limit=None):
    """Rollups created or merged into at or after ``since`` (naive UTC),
    oldest change first: what an exporter has not sent yet."""
    model = models.UsageRollup
    query = context.session.query(model).filter(
        model.updated_at >= since).order_by(model.updated_at, model.id)
    if limit is not None:
        query = query.limit(limit)
    return utils.dicts(query)


@main_context_manager.reader
def poll_watermarks_get(context, collector, targets):
    """``{target: slot}``: the last stored poll slot of each of
    ``targets`` of ``collector`` that has one."""
    table = models.PollWatermark.__table__
    found = {}
    for chunk in utils.batches(sorted(set(targets))):
        found.update(context.session.execute(
            sa.select(table.c.target, table.c.slot).where(
                table.c.collector == collector,
                table.c.target.in_(chunk))).all())
    return found


@main_context_manager.reader
def poll_watermark_list(context, collector=None):
    """Every watermark (of ``collector``), as dicts."""
    query = context.session.query(models.PollWatermark)
    if collector is not None:
        query = query.filter(models.PollWatermark.collector == collector)
    return utils.dicts(query.order_by(models.PollWatermark.collector,
                                      models.PollWatermark.target))


@main_context_manager.writer
def poll_watermarks_set(context, collector, targets, slot, polled_by=None):
    """Record that the polls of ``targets`` of ``collector`` up to
    ``slot`` are stored. A watermark never moves back: an agent that
    stored an older slot late leaves a newer one in place."""
    session = context.session
    table = models.PollWatermark.__table__
    insert, dialect = utils.dialect_insert(session, table)
    now = utils.utcnow()
    if dialect == 'mysql':
        new = insert.inserted
        newer = new.slot > table.c.slot
        # left to right: polled_by and updated_at before slot changes
        statement = insert.on_duplicate_key_update([
            ('polled_by', sa.case((newer, new.polled_by),
                                  else_=table.c.polled_by)),
            ('updated_at', sa.case((newer, new.updated_at),
                                   else_=table.c.updated_at)),
            ('slot', sa.func.greatest(table.c.slot, new.slot)),
        ])
    else:
        new = insert.excluded
        statement = insert.on_conflict_do_update(
            index_elements=['collector', 'target'],
            set_={'slot': new.slot, 'polled_by': new.polled_by,
                  'updated_at': new.updated_at},
            where=new.slot > table.c.slot)
    rows = [{'collector': collector, 'target': target, 'slot': int(slot),
             'polled_by': polled_by, 'created_at': now, 'updated_at': now}
            for target in sorted(set(targets))]
    for chunk in utils.batches(rows):
        session.execute(statement, chunk)


def _hour_of(column, dialect):
    """SQL for the start of the hour of a DateTime column, in the column's
    own storage form (SQLite keeps SQLAlchemy's text with microseconds, so
    that comparisons with bound datetimes still hold)."""
    if dialect == 'postgresql':
        return sa.func.date_trunc('hour', column)
    if dialect == 'mysql':
        return sa.func.str_to_date(
            sa.func.date_format(column, '%Y-%m-%d %H:00:00'),
            '%Y-%m-%d %H:%i:%s')
    return sa.func.strftime('%Y-%m-%d %H:00:00.000000', column)


_HOURS = sa.Table(
    'kcloud_rollup_hours', sa.MetaData(),
    sa.Column('workload_id', sa.String(255), nullable=False),
    sa.Column('metric', sa.String(64), nullable=False),
    sa.Column('hour', sa.DateTime, nullable=False),
    sa.Column('mean', sa.Double, nullable=False),
    sa.Column('min', sa.Double, nullable=False),
    sa.Column('max', sa.Double, nullable=False),
    sa.Column('count', sa.Integer, nullable=False),
    sa.Column('created_at', sa.DateTime),
    sa.Column('updated_at', sa.DateTime),
    prefixes=['TEMPORARY'])


@main_context_manager.writer
def rollups_downsample(context, before):
    """Replace the rollups of windows before ``before`` (naive UTC, taken
    down to its hour) by one rollup per workload, metric and hour, in bulk
    SQL and one transaction; return ``(hours written, rollups replaced)``.

    An hourly rollup holds what its windows held: the count-weighted
    mean, the least minimum, the greatest maximum and the summed count
    (so the sum, mean x count, is kept too), at the start of the hour.
    Its ``updated_at`` is the newest of its windows', so an exporter does
    not send it again. An hour that is already one rollup at its start is
    left alone: running it twice changes nothing more.
    """
    session = context.session
    dialect = session.get_bind().dialect.name
    before = before.replace(minute=0, second=0, microsecond=0)
    table = models.UsageRollup.__table__
    hour = _hour_of(table.c.window_start, dialect)
    weight = sa.func.sum(table.c.count)
    grouped = sa.select(
        table.c.workload_id, table.c.metric, hour.label('hour'),
        (sa.func.sum(table.c.mean * table.c.count) / weight).label('mean'),
        sa.func.min(table.c.min).label('min'),
        sa.func.max(table.c.max).label('max'),
        weight.label('count'),
        sa.func.min(table.c.created_at).label('created_at'),
        sa.func.max(table.c.updated_at).label('updated_at'),
    ).where(table.c.window_start < before).group_by(
        table.c.workload_id, table.c.metric, hour).having(
        (sa.func.count() > 1) |
        (sa.func.min(table.c.window_start) != sa.func.min(hour)))
    drop = ('DROP TEMPORARY TABLE IF EXISTS kcloud_rollup_hours'
            if dialect == 'mysql' else
            'DROP TABLE IF EXISTS kcloud_rollup_hours')
    connection = session.connection()
    connection.execute(sa.text(drop))
    _HOURS.create(connection)
    try:
        connection.execute(_HOURS.insert().from_select(
            [c.name for c in _HOURS.c], grouped))
        # counted, not read from the INSERT's rowcount: psycopg (3) gives
        # -1 for an INSERT ... SELECT
        hours = connection.execute(
            sa.select(sa.func.count()).select_from(_HOURS)).scalar_one()
        if not hours:
            return 0, 0
        replaced = connection.execute(table.delete().where(
            table.c.window_start < before).where(sa.exists().where(
                (_HOURS.c.workload_id == table.c.workload_id) &
                (_HOURS.c.metric == table.c.metric) &
                (_HOURS.c.hour == _hour_of(table.c.window_start,
                                           dialect))))).rowcount
        connection.execute(table.insert().from_select(
            ['workload_id', 'metric', 'window_start', 'mean', 'min', 'max',
             'count', 'created_at', 'updated_at'],
            sa.select(_HOURS.c.workload_id, _HOURS.c.metric, _HOURS.c.hour,
                      _HOURS.c.mean, _HOURS.c.min, _HOURS.c.max,
                      _HOURS.c.count, _HOURS.c.created_at,
                      _HOURS.c.updated_at)))
        return hours, replaced
    finally:
        connection.execute(sa.text(drop))
