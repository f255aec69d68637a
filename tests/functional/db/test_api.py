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

from tests import fixtures
from tests.unit.db import checks


def _database_on(backend_name):
    conf_fixture = fixtures.ConfFixture()
    conf_fixture.setUp()
    # Raises BackendNotAvailable when the server cannot be reached: the
    # test then fails, it is not skipped.
    backend = provision.Backend.backend_for_database_type(backend_name)
    name = 'kcloud_test_%s' % uuid.uuid4().hex[:12]
    backend.create_named_database(name)
    db = fixtures.Database(conf_fixture.conf,
                           url=str(backend.provisioned_database_url(name)
                                   .render_as_string(hide_password=False)))
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


class TestDbApiMySQL(checks.DbApiChecks):

    @pytest.fixture
    def database(self):
        yield from _database_on('mysql')
