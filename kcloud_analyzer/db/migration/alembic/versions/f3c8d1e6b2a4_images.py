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
"""Glance image names, properties and tags

Revision ID: f3c8d1e6b2a4
Revises: e2b9c4d7a3f1
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = 'f3c8d1e6b2a4'
down_revision = 'e2b9c4d7a3f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'images',
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('image_id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=True),
        sa.Column('properties', sa.JSON(), nullable=True),
        sa.Column('tags', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('image_id'),
    )
