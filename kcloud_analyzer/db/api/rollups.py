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
"""Usage rollups and the ids of the messages folded into them."""

import sqlalchemy as sa

from kcloud_analyzer.common import exception
from kcloud_analyzer.db.api import utils
from kcloud_analyzer.db.api.engine import main_context_manager
from kcloud_analyzer.db import models


def _rollup_upsert_statement(session):
    table = models.UsageRollup.__table__
    insert, dialect = utils.dialect_insert(session, table)
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
    message), nothing is written and MessagesAlreadyRecorded is raised (a
    retryable error, see :data:`.engine.RETRYABLE_ERRORS`): the caller's
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
    now = utils.utcnow()
    insert, dialect = utils.dialect_insert(session, messages)
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
    # The claim itself tells which ids were recorded before, by an earlier
    # or a concurrent transaction: no separate look-up round trip.
    claimed = 0
    for chunk in utils.batches(ids):
        result = session.execute(
            claim, [{'message_id': i, 'created_at': now} for i in chunk])
        claimed += len(result.all()) if returning else result.rowcount
    if claimed != len(ids):
        raise exception.MessagesAlreadyRecorded(
            recorded=len(ids) - claimed, total=len(ids), by='')
    payload = [dict(row, created_at=now, updated_at=now) for row in rows]
    for chunk in utils.batches(payload):
        result = session.execute(merge, chunk)
        if returning:
            result.all()
    return set(ids)


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
    """Delete rollups of windows before ``before`` and the message ids
    recorded before it; return the number of rollups deleted."""
    deleted = context.session.query(models.UsageRollup).filter(
        models.UsageRollup.window_start < before).delete(
        synchronize_session=False)
    context.session.query(models.IngestedMessage).filter(
        models.IngestedMessage.created_at < before).delete(
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
