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
"""The estimated part of the energy of cost records and totals

Records written before have nothing to say about it: the column stays
null for them.

Revision ID: d4e8a1b37c52
Revises: c7d2e9f04a61
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa


revision = 'd4e8a1b37c52'
down_revision = 'c7d2e9f04a61'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('cost_records',
                  sa.Column('estimated_kwh', sa.Float(), nullable=True))
    op.add_column('cost_totals',
                  sa.Column('estimated_kwh', sa.Float(), nullable=True))
