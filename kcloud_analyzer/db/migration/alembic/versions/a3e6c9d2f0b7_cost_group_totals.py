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
"""Hourly, daily and monthly cost totals per project and workload type or
accelerator (hourly also per project), and an index of the cost totals by
scope and period

The totals of the records and workload totals that exist when upgrading
are computed here, by the same code that keeps them afterwards (on
PostgreSQL about a minute per ten million hourly records).

Revision ID: a3e6c9d2f0b7
Revises: c9e4a2f7d1b8
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy import orm

from kcloud_analyzer.db.api import totals


revision = 'a3e6c9d2f0b7'
down_revision = 'c9e4a2f7d1b8'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=20, scale=6)
REAL = sa.Float().with_variant(sa.Double(), 'mysql', 'mariadb')


def upgrade():
    op.create_table(
        'cost_group_totals',
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('dimension', sa.String(length=16), nullable=False),
        sa.Column('project_id', sa.String(length=255), nullable=False),
        sa.Column('group_key', sa.String(length=256), nullable=False),
        sa.Column('group_value', sa.String(length=255), nullable=True),
        sa.Column('period', sa.String(length=8), nullable=False),
        sa.Column('period_start', sa.DateTime(), nullable=False),
        sa.Column('basis', sa.String(length=16), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('compute', MONEY, nullable=False),
        sa.Column('gpu', MONEY, nullable=False),
        sa.Column('npu', MONEY, nullable=False),
        sa.Column('storage', MONEY, nullable=False),
        sa.Column('network', MONEY, nullable=False),
        sa.Column('energy', MONEY, nullable=False),
        sa.Column('idle', MONEY, nullable=False),
        sa.Column('total', MONEY, nullable=False),
        sa.Column('energy_kwh', REAL, nullable=True),
        sa.Column('estimated_kwh', REAL, nullable=True),
        sa.Column('carbon_kg', REAL, nullable=True),
        sa.Column('hours', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint(
            'dimension', 'project_id', 'group_key', 'period',
            'period_start', 'basis', 'currency',
            name='uniq_cost_group_totals0key'),
    )
    op.create_index('cost_group_totals_period_idx', 'cost_group_totals',
                    ['dimension', 'period', 'period_start'])
    op.create_index('cost_totals_scope_period_idx', 'cost_totals',
                    ['scope', 'period', 'period_start'])
    session = orm.Session(bind=op.get_bind())
    totals.rebuild_groups(session)
    session.flush()
