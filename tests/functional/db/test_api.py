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
"""db.api on the real PostgreSQL and MySQL/MariaDB servers: the dialect
specific bulk upserts (ON CONFLICT / ON DUPLICATE KEY) and date grouping
run where they will run in production."""

import uuid

from oslo_db.sqlalchemy import provision
import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from kcloud_analyzer.db import api as db_api
from tests import fixtures
from tests.unit.db import checks


def _database_on(backend_name, driver=None):
    conf_fixture = fixtures.ConfFixture()
    conf_fixture.setUp()
    # Raises BackendNotAvailable when the server cannot be reached: the
    # test then fails, it is not skipped.
    backend = provision.Backend.backend_for_database_type(backend_name)
    name = 'kcloud_test_%s' % uuid.uuid4().hex[:12]
    backend.create_named_database(name)
    url = backend.provisioned_database_url(name)
    if driver is not None:
        url = url.set(drivername='%s+%s' % (url.get_backend_name(), driver))
    db = fixtures.Database(conf_fixture.conf,
                           url=url.render_as_string(hide_password=False))
    db.setUp()
    try:
        yield db
    finally:
        db.cleanUp()
        backend.drop_named_database(name)
        conf_fixture.cleanUp()


class TestDbApiPostgreSQL(checks.DbApiChecks):

    @pytest.fixture
    def database(self):
        yield from _database_on('postgresql')

    def test_a_row_copy_refuses_is_not_retried(self, ctx):
        """A value COPY refuses comes out as SQLAlchemy's error for it (not
        retryable, so the ingestor isolates the message) and nothing of the
        batch is written; the connection serves the next batch."""
        row = {'workload_id': 'w' * 300, 'metric': 'power_watts',
               'window_start': checks.T0, 'mean': 1.0, 'min': 1.0,
               'max': 1.0, 'count': 1}
        with pytest.raises(sa_exc.DataError) as raised:
            db_api.rollups_upsert(ctx, [row, dict(row, workload_id='ok')],
                                  message_ids=['m1'])
        assert not isinstance(raised.value, db_api.RETRYABLE_ERRORS)
        assert db_api.message_ids_seen(ctx, ['m1']) == set()
        assert db_api.rollup_list(ctx) == []
        db_api.rollups_upsert(ctx, [dict(row, workload_id='ok')],
                              message_ids=['m1'])
        assert [r['count'] for r in db_api.rollup_list(ctx)] == [1]


    def test_the_staging_table_is_created_once_per_connection(self, ctx):
        """The store's connection and staging table are made ahead of the
        first batch; the batches then only fill the table."""
        db_api.rollups_prepare(ctx)
        engine = db_api.get_engine()
        statements = []

        def executed(conn, cursor, statement, *args):
            statements.append(statement)
        sa.event.listen(engine, 'before_cursor_execute', executed)
        try:
            for number in range(2):
                db_api.rollups_upsert(ctx, [{
                    'workload_id': 'w', 'metric': 'power_watts',
                    'window_start': checks.T0, 'mean': 1.0, 'min': 1.0,
                    'max': 1.0, 'count': 1}], message_ids=['m%d' % number])
        finally:
            sa.event.remove(engine, 'before_cursor_execute', executed)
        assert engine.pool.checkedout() == 0 and engine.pool.size() >= 1
        assert len(statements) == 4
        assert not [s for s in statements if 'CREATE' in s]
        assert [r['count'] for r in db_api.rollup_list(ctx)] == [2]


class TestDbApiPsycopg(TestDbApiPostgreSQL):
    """The same on psycopg (3), whose COPY the store uses as it uses
    psycopg2's (``postgresql+psycopg://`` in ``[database] connection``)."""

    @pytest.fixture
    def database(self):
        yield from _database_on('postgresql', driver='psycopg')

    def test_the_store_runs_on_psycopg(self, ctx):
        engine = db_api.get_engine()
        assert engine.dialect.driver == 'psycopg'


class TestDbApiMySQL(checks.DbApiChecks):

    @pytest.fixture
    def database(self):
        yield from _database_on('mysql')
