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
"""Initial schema

Revision ID: b0a1c2d3e4f5
Revises:
Create Date: 2026-11-29
"""

from alembic import op
import sqlalchemy as sa


revision = 'b0a1c2d3e4f5'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cost_records',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('workload_id', sa.String(length=255), nullable=False),
        sa.Column('project_id', sa.String(length=255), nullable=False),
        sa.Column('hour', sa.DateTime(), nullable=False),
        sa.Column('basis', sa.String(length=16), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('workload_type', sa.String(length=16), nullable=True),
        sa.Column('accelerator', sa.String(length=64), nullable=True),
        sa.Column('compute', sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column('gpu', sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column('npu', sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column('storage', sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column('network', sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column('energy', sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column('idle', sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column('total', sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column('energy_kwh', sa.Float(), nullable=True),
        sa.Column('carbon_kg', sa.Float(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('workload_id', 'hour', 'basis', name='uniq_cost_records0workload0hour0basis')
    )
    op.create_index('cost_records_hour_idx', 'cost_records', ['hour'])
    op.create_index('cost_records_project_hour_idx', 'cost_records', ['project_id', 'hour'])

    op.create_table('ingested_messages',
        sa.Column('message_id', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('message_id')
    )
    op.create_index('ingested_messages_created_at_idx', 'ingested_messages', ['created_at'])

    op.create_table('instances',
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('workload_id', sa.String(length=255), nullable=False),
        sa.Column('project_id', sa.String(length=255), nullable=False),
        sa.Column('flavor', sa.JSON(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('instance_id')
    )
    op.create_index('instances_workload_id_idx', 'instances', ['workload_id'])

    op.create_table('model_versions',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('trained_at', sa.DateTime(), nullable=False),
        sa.Column('metrics', sa.JSON(), nullable=False),
        sa.Column('file', sa.String(length=1024), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name', 'version', name='uniq_model_versions0name0version')
    )
    op.create_table('predictions',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('workload_id', sa.String(length=255), nullable=True),
        sa.Column('project_id', sa.String(length=255), nullable=True),
        sa.Column('model_name', sa.String(length=64), nullable=False),
        sa.Column('model_version', sa.Integer(), nullable=True),
        sa.Column('inputs', sa.JSON(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('duration_hours', sa.Float(), nullable=False),
        sa.Column('cost_per_hour', sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column('total', sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column('lower', sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column('upper', sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('uuid', name='uniq_predictions0uuid')
    )
    op.create_index('predictions_workload_id_idx', 'predictions', ['workload_id'])

    op.create_table('recommendations',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('workload_id', sa.String(length=255), nullable=False),
        sa.Column('project_id', sa.String(length=255), nullable=False),
        sa.Column('kind', sa.String(length=64), nullable=False),
        sa.Column('action', sa.Text(), nullable=False),
        sa.Column('monthly_saving', sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('confidence', sa.Float(), nullable=False),
        sa.Column('evidence', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('uuid', name='uniq_recommendations0uuid')
    )
    op.create_index('recommendations_project_id_idx', 'recommendations', ['project_id'])
    op.create_index('recommendations_workload_id_idx', 'recommendations', ['workload_id'])

    op.create_table('usage_rollups',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('workload_id', sa.String(length=255), nullable=False),
        sa.Column('metric', sa.String(length=64), nullable=False),
        sa.Column('window_start', sa.DateTime(), nullable=False),
        sa.Column('mean', sa.Float(), nullable=False),
        sa.Column('min', sa.Float(), nullable=False),
        sa.Column('max', sa.Float(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('workload_id', 'metric', 'window_start', name='uniq_usage_rollups0workload0metric0window')
    )
    op.create_index('usage_rollups_window_start_idx', 'usage_rollups', ['window_start'])

    op.create_table('workloads',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('workload_id', sa.String(length=255), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=True),
        sa.Column('project_id', sa.String(length=255), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('declared_type', sa.String(length=16), nullable=True),
        sa.Column('classified_type', sa.String(length=16), nullable=True),
        sa.Column('confidence', sa.Float(), nullable=True),
        sa.Column('classification', sa.JSON(), nullable=True),
        sa.Column('resources', sa.JSON(), nullable=False),
        sa.Column('accelerator', sa.String(length=64), nullable=True),
        sa.Column('profile', sa.JSON(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('workload_id', name='uniq_workloads0workload_id')
    )
    op.create_index('workloads_project_id_idx', 'workloads', ['project_id'])

