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
"""What the service reports about the store: a ping and the figures of
the Prometheus exposition."""

import sqlalchemy as sa

from kcloud_analyzer.db.api import costs
from kcloud_analyzer.db.api.engine import main_context_manager
from kcloud_analyzer.db import models


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
                 for line in costs.COST_LINES]
        for row in session.query(model.currency, *lines).filter(
                model.hour == latest, model.basis == 'allocation').group_by(
                model.currency):
            for line in costs.COST_LINES:
                cost[(row.currency, line)] = float(getattr(row, line) or 0)
    return {'samples_ingested': int(samples), 'workloads_by_type': by_type,
            'cost_per_hour': cost}


@main_context_manager.reader
def ping(context):
    """Run a trivial query; raises when the database does not answer."""
    context.session.execute(sa.text('SELECT 1')).scalar()
