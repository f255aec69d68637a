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
"""Measured quantities in double precision on MySQL/MariaDB

``FLOAT`` is single precision on MySQL: a stored sample mean kept about
seven significant digits (123456789 bytes read back as 123456792).
PostgreSQL's ``FLOAT`` and SQLite's ``REAL`` are already double precision,
so only MySQL/MariaDB columns change.

Revision ID: a7c3e1f9d2b6
Revises: f6a2b3c4d5e7
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa


revision = 'a7c3e1f9d2b6'
down_revision = 'f6a2b3c4d5e7'
branch_labels = None
depends_on = None

#: (table, column, nullable)
COLUMNS = (
    ('workloads', 'confidence', True),
    ('usage_rollups', 'mean', False),
    ('usage_rollups', 'min', False),
    ('usage_rollups', 'max', False),
    ('cost_records', 'energy_kwh', True),
    ('cost_records', 'estimated_kwh', True),
    ('cost_records', 'carbon_kg', True),
    ('cost_totals', 'energy_kwh', True),
    ('cost_totals', 'estimated_kwh', True),
    ('cost_totals', 'carbon_kg', True),
    ('predictions', 'duration_hours', False),
    ('recommendations', 'confidence', False),
    ('recommendations', 'realised_monthly_kwh', True),
)


def upgrade():
    if op.get_bind().dialect.name not in ('mysql', 'mariadb'):
        return
    for table, column, nullable in COLUMNS:
        op.alter_column(table, column, type_=sa.Double(),
                        existing_type=sa.Float(),
                        existing_nullable=nullable)
