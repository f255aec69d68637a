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
"""Daily and monthly cost totals per workload and project

The totals of the hourly records that exist when upgrading are computed
here, by the same code that keeps them afterwards.

Revision ID: c7d2e9f04a61
Revises: b0a1c2d3e4f5
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy import orm

from kcloud_analyzer.db.api import totals


revision = 'c7d2e9f04a61'
down_revision = 'b0a1c2d3e4f5'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=20, scale=6)


def upgrade():
    op.create_table(
        'cost_totals',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('scope_id', sa.String(length=255), nullable=False),
        sa.Column('project_id', sa.String(length=255), nullable=False),
        sa.Column('period', sa.String(length=8), nullable=False),
        sa.Column('period_start', sa.DateTime(), nullable=False),
        sa.Column('basis', sa.String(length=16), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('workload_type', sa.String(length=16), nullable=True),
        sa.Column('accelerator', sa.String(length=64), nullable=True),
        sa.Column('compute', MONEY, nullable=False),
        sa.Column('gpu', MONEY, nullable=False),
        sa.Column('npu', MONEY, nullable=False),
        sa.Column('storage', MONEY, nullable=False),
        sa.Column('network', MONEY, nullable=False),
        sa.Column('energy', MONEY, nullable=False),
        sa.Column('idle', MONEY, nullable=False),
        sa.Column('total', MONEY, nullable=False),
        sa.Column('energy_kwh', sa.Float(), nullable=True),
        sa.Column('carbon_kg', sa.Float(), nullable=True),
        sa.Column('hours', sa.Integer(), nullable=False),
        sa.Column('first_hour', sa.DateTime(), nullable=False),
        sa.Column('last_hour', sa.DateTime(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint(
            'scope', 'scope_id', 'period', 'period_start', 'basis',
            name='uniq_cost_totals0scope0scope_id0period0start0basis'),
    )
    op.create_index('cost_totals_period_idx', 'cost_totals',
                    ['period', 'period_start'])
    op.create_index('cost_totals_project_period_idx', 'cost_totals',
                    ['project_id', 'period', 'period_start'])
    session = orm.Session(bind=op.get_bind())
    totals.rebuild(session)
    session.flush()
