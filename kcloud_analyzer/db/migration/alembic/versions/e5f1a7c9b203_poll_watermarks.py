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
"""The last stored poll of every polling target

Revision ID: e5f1a7c9b203
Revises: e5f1c8a2d9b3
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa


revision = 'e5f1a7c9b203'
down_revision = 'e5f1c8a2d9b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'poll_watermarks',
        sa.Column('collector', sa.String(64), nullable=False),
        sa.Column('target', sa.String(255), nullable=False),
        sa.Column('slot', sa.BigInteger(), nullable=False),
        sa.Column('polled_by', sa.String(255), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('collector', 'target'),
    )
