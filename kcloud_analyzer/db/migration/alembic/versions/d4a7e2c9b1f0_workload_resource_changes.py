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
"""The history of each workload's resources

Workloads stored before have no history: their hours are priced with
their current resources until their resources next change.

Revision ID: d4a7e2c9b1f0
Revises: b8d4f2a6c1e3
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = 'd4a7e2c9b1f0'
down_revision = 'b8d4f2a6c1e3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'workload_resource_changes',
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('workload_id', sa.String(length=255), nullable=False),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.Column('resources', sa.JSON(), nullable=False),
        sa.Column('accelerator', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('workload_resource_changes_workload_idx',
                    'workload_resource_changes',
                    ['workload_id', 'changed_at'])
