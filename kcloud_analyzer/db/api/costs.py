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


import sqlalchemy as sa

from kcloud_analyzer.db.api import utils
from kcloud_analyzer.db.api.engine import main_context_manager
from kcloud_analyzer.db.api import totals
from kcloud_analyzer.db import models


COST_LINES = totals.COST_LINES


@main_context_manager.writer
def cost_records_upsert(context, rows):
    """Write cost records in bulk; a record of the same workload, hour and
    basis is replaced. The daily and monthly totals the records fall in
    are recomputed in the same transaction."""
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
    # Asking for RETURNING lets SQLAlchemy send many rows per statement
    # ("insertmanyvalues"); without it psycopg2 sends one per row.
    returning = session.get_bind().dialect.insert_returning
    if returning:
        stmt = stmt.returning(table.c.id)
    for chunk in utils.batches(payload):
        result = session.execute(stmt, chunk)
        if returning:
            result.all()
    hours = [row['hour'] for row in payload]
    totals.refresh(session, {row['workload_id'] for row in payload},
                   {row['project_id'] for row in payload},
                   min(hours), max(hours))
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


@main_context_manager.reader
def cost_records_latest_hour(context):
    """The newest hour that has cost records, or None."""
    return context.session.query(sa.func.max(models.CostRecord.hour)).scalar()


@main_context_manager.reader
def cost_records_latest_hours(context, workload_ids):
    """``{workload_id: newest hour with cost records}`` of those of
    ``workload_ids`` that have any (one grouped query per chunk)."""
    table = models.CostRecord.__table__
    latest = {}
    for chunk in utils.batches(sorted(set(workload_ids))):
        query = sa.select(table.c.workload_id,
                          sa.func.max(table.c.hour)).where(
            table.c.workload_id.in_(chunk)).group_by(table.c.workload_id)
        latest.update(context.session.execute(query).all())
    return latest
