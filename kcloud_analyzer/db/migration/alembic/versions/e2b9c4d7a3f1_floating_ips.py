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
"""Neutron floating IPs, the evidence of an instance exposed to the outside

Revision ID: e2b9c4d7a3f1
Revises: d4a7e2c9b1f0
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = 'e2b9c4d7a3f1'
down_revision = 'd4a7e2c9b1f0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'floating_ips',
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('floatingip_id', sa.String(length=36), nullable=False),
        sa.Column('project_id', sa.String(length=255), nullable=True),
        sa.Column('port_id', sa.String(length=36), nullable=True),
        sa.Column('device_id', sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint('floatingip_id'),
    )
    op.create_index('floating_ips_port_id_idx', 'floating_ips', ['port_id'])
    op.create_index('floating_ips_device_id_idx', 'floating_ips',
                    ['device_id'])
