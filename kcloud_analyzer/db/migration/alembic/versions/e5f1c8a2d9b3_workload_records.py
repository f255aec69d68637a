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
"""The cloud's records of instances and workloads (image, tags, metadata,
creation time), the classifier's evidence beside the telemetry

Workloads recorded before have none: the column stays null until Nova
notifies about their instances again.

Revision ID: e5f1c8a2d9b3
Revises: d4e8a1b37c52
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa


revision = 'e5f1c8a2d9b3'
down_revision = 'd4e8a1b37c52'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('workloads', sa.Column('records', sa.JSON(), nullable=True))
    op.add_column('instances', sa.Column('records', sa.JSON(), nullable=True))
