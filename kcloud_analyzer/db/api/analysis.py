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
"""Trained model versions, cost predictions and recommendations."""

import uuid

from oslo_db import exception as db_exc
import sqlalchemy as sa

from kcloud_analyzer.common import exception
from kcloud_analyzer.db.api import utils
from kcloud_analyzer.db.api.engine import main_context_manager
from kcloud_analyzer.db import models

#: the states of a recommendation
OPEN = 'open'
APPLIED = 'applied'


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
    return utils.dicts(query)


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


# ---------------------------------------------------------- recommendations


@main_context_manager.writer
def recommendations_replace(context, workload_id, rows):
    """Replace the open recommendations of a workload with ``rows``; the
    applied ones are kept, with their realised saving."""
    context.session.query(models.Recommendation).filter_by(
        workload_id=workload_id, state=OPEN).delete(
        synchronize_session=False)
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
                        limit=None, state=None):
    """Recommendations (of ``state`` when given), the largest expected
    saving (monthly saving x confidence) first."""
    model = models.Recommendation
    query = context.session.query(model)
    if state is not None:
        query = query.filter(model.state == state)
    if project_id is not None:
        query = query.filter(model.project_id == project_id)
    if workload_id is not None:
        query = query.filter(model.workload_id == workload_id)
    query = query.order_by(
        (model.monthly_saving * model.confidence).desc(),
        model.monthly_saving.desc(), model.id)
    if limit is not None:
        query = query.limit(limit)
    return utils.dicts(query)


@main_context_manager.writer
def recommendations_apply(context, workload_id, change, applied_at, kinds):
    """Mark the open recommendations of ``kinds`` of a workload applied by
    ``change`` at ``applied_at``; returns how many. A redelivered
    notification finds them applied already and changes nothing."""
    model = models.Recommendation
    return context.session.query(model).filter(
        model.workload_id == workload_id, model.state == OPEN,
        model.kind.in_(list(kinds))).update(
        {'state': APPLIED, 'applied_at': applied_at,
         'applied_change': change}, synchronize_session=False)


@main_context_manager.writer
def recommendations_reopen(context, workload_id, changes):
    """Open again the recommendations of a workload applied by one of
    ``changes`` and not yet realised (a reverted resize)."""
    model = models.Recommendation
    return context.session.query(model).filter(
        model.workload_id == workload_id, model.state == APPLIED,
        model.applied_change.in_(list(changes)),
        model.realised_at.is_(None)).update(
        {'state': OPEN, 'applied_at': None, 'applied_change': None},
        synchronize_session=False)


@main_context_manager.reader
def recommendations_unrealised(context, applied_before):
    """Applied recommendations without a realised saving yet, applied
    before ``applied_before``."""
    model = models.Recommendation
    return utils.dicts(context.session.query(model).filter(
        model.state == APPLIED, model.realised_at.is_(None),
        model.applied_at <= applied_before).order_by(model.id))


@main_context_manager.writer
def recommendation_realise(context, recommendation_uuid, values):
    """Record the realised ``realised_monthly_saving``,
    ``realised_monthly_kwh`` and ``realised_at`` of a recommendation."""
    context.session.query(models.Recommendation).filter_by(
        uuid=recommendation_uuid).update(values, synchronize_session=False)


@main_context_manager.reader
def cost_window_sums(context, workload_ids, start, end,
                     basis='allocation'):
    """``{workload_id: (total, energy_kwh)}`` summed over the hourly cost
    records of ``start`` <= hour < ``end`` (no entry: no record)."""
    model = models.CostRecord
    rows = context.session.query(
        model.workload_id, sa.func.sum(model.total),
        sa.func.sum(model.energy_kwh)).filter(
        model.workload_id.in_(list(workload_ids)), model.basis == basis,
        model.hour >= start, model.hour < end).group_by(model.workload_id)
    return {workload_id: (float(total or 0), float(kwh or 0))
            for workload_id, total, kwh in rows}
