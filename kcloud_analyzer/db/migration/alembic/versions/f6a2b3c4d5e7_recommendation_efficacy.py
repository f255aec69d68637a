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
"""Recommendations acted on: their state and realised saving

Recommendations stored before are open.

Revision ID: f6a2b3c4d5e7
Revises: e5f1a7c9b203
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa


revision = 'f6a2b3c4d5e7'
down_revision = 'e5f1a7c9b203'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('recommendations',
                  sa.Column('state', sa.String(16), nullable=False,
                            server_default='open'))
    op.add_column('recommendations',
                  sa.Column('applied_at', sa.DateTime(), nullable=True))
    op.add_column('recommendations',
                  sa.Column('applied_change', sa.String(32), nullable=True))
    op.add_column('recommendations',
                  sa.Column('realised_monthly_saving',
                            sa.Numeric(precision=20, scale=6),
                            nullable=True))
    op.add_column('recommendations',
                  sa.Column('realised_monthly_kwh', sa.Float(),
                            nullable=True))
    op.add_column('recommendations',
                  sa.Column('realised_at', sa.DateTime(), nullable=True))
    op.create_index('recommendations_state_idx', 'recommendations',
                    ['state'])
