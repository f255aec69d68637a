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
"""The Neutron ports of live instances, indexed by port

Revision ID: c9e4a2f7d1b8
Revises: f3c8d1e6b2a4
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = 'c9e4a2f7d1b8'
down_revision = 'f3c8d1e6b2a4'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'instance_ports',
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('port_id', sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint('instance_id', 'port_id'),
    )
    op.create_index('instance_ports_port_id_idx', 'instance_ports',
                    ['port_id'])
    # the ports the live instances' records already name
    instances = sa.table('instances', sa.column('instance_id'),
                         sa.column('records', sa.JSON),
                         sa.column('deleted_at'))
    bind = op.get_bind()
    rows = []
    for instance_id, records in bind.execute(
            sa.select(instances.c.instance_id, instances.c.records).where(
                instances.c.deleted_at.is_(None))):
        named = (records or {}).get('ports') or ()
        rows.extend({'instance_id': instance_id, 'port_id': port}
                    for port in sorted(set(named)) if isinstance(port, str))
    if rows:
        op.bulk_insert(table, rows)
