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
"""The energy a recommendation promises to save a month

Recommendations stored before have none (null): the next cost job run
replaces the open ones.

Revision ID: b8d4f2a6c1e3
Revises: a7c3e1f9d2b6
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = 'b8d4f2a6c1e3'
down_revision = 'a7c3e1f9d2b6'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('recommendations',
                  sa.Column('monthly_kwh', sa.Float().with_variant(
                      sa.Double(), 'mysql', 'mariadb'), nullable=True))
