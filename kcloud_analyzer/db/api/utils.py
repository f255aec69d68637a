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
"""Helpers shared by the resource modules of the store."""

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from kcloud_analyzer.common import exception
from kcloud_analyzer.common import utils


utcnow = utils.utcnow

#: rows per INSERT statement in bulk writes
BATCH_SIZE = 1000


def dicts(rows):
    return [row.as_dict() for row in rows]


def batches(rows, size=BATCH_SIZE):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def dialect_insert(session, table):
    name = session.get_bind().dialect.name
    if name == 'postgresql':
        return postgresql.insert(table), name
    if name == 'mysql':
        return mysql.insert(table), name
    if name == 'sqlite':
        return sqlite.insert(table), name
    raise exception.ConfigInvalid(reason='unsupported database %s' % name)


def paginate(query, model, sort_key, limit, marker, marker_column):
    if marker is not None:
        marker_row = query.session.query(model).filter(
            marker_column == marker).first()
        if marker_row is None:
            raise exception.Invalid(
                reason='marker %s was not found' % marker)
        query = query.filter(
            sa.tuple_(getattr(model, sort_key), model.id) >
            sa.tuple_(getattr(marker_row, sort_key), marker_row.id))
    query = query.order_by(getattr(model, sort_key), model.id)
    if limit is not None:
        query = query.limit(limit)
    return query
