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
"""Migrations walked revision by revision and compared with the models, on
SQLite, PostgreSQL and MySQL/MariaDB (oslo.db's opportunistic fixtures and
the openstack_citest user that .ci/run creates). A database server that
cannot be reached fails these tests; it does not skip them."""

import datetime

from oslo_db.sqlalchemy import enginefacade
from oslo_db.sqlalchemy import test_fixtures
from oslo_db.sqlalchemy import test_migrations
import sqlalchemy as sa
import testtools

from kcloud_analyzer.db import migration
from kcloud_analyzer.db import models


class _MigrationsWalk(test_fixtures.OpportunisticDBTestMixin):

    SKIP_ON_UNAVAILABLE_DB = False

    def setUp(self):
        super().setUp()
        self.engine = enginefacade.writer.get_engine()

    def test_walk_every_revision(self):
        revisions = migration.revisions()
        self.assertEqual(migration.head(), revisions[-1])
        self.assertIsNone(migration.version(self.engine))
        for revision in revisions:
            migration.upgrade(self.engine, revision)
            self.assertEqual(revision, migration.version(self.engine))
        tables = set(sa.inspect(self.engine).get_table_names())
        self.assertEqual(set(models.BASE.metadata.tables) | {
            'alembic_version'}, tables)

    def test_instance_ports_are_filled_from_the_records(self):
        migration.upgrade(self.engine, 'f3c8d1e6b2a4')
        instances = sa.table(
            'instances', sa.column('instance_id'), sa.column('workload_id'),
            sa.column('project_id'), sa.column('records', sa.JSON),
            sa.column('deleted_at'))
        with self.engine.begin() as connection:
            connection.execute(instances.insert(), [
                {'instance_id': 'i-1', 'workload_id': 'w', 'project_id': 'p',
                 'records': {'ports': ['port-b', 'port-a']},
                 'deleted_at': None},
                {'instance_id': 'i-2', 'workload_id': 'w', 'project_id': 'p',
                 'records': {'image': 'x'}, 'deleted_at': None},
                {'instance_id': 'i-3', 'workload_id': 'w', 'project_id': 'p',
                 'records': {'ports': ['port-c']},
                 'deleted_at': datetime.datetime(2026, 11, 30)}])
        migration.upgrade(self.engine, 'c9e4a2f7d1b8')
        with self.engine.connect() as connection:
            rows = connection.execute(sa.text(
                'SELECT instance_id, port_id FROM instance_ports '
                'ORDER BY instance_id, port_id')).all()
        self.assertEqual([('i-1', 'port-a'), ('i-1', 'port-b')],
                         [tuple(r) for r in rows])

    def test_upgrade_is_idempotent(self):
        migration.upgrade(self.engine)
        migration.upgrade(self.engine)
        self.assertEqual(migration.head(), migration.version(self.engine))


class _ModelsSync(test_fixtures.OpportunisticDBTestMixin,
                  test_migrations.ModelsMigrationsSync):

    SKIP_ON_UNAVAILABLE_DB = False

    def setUp(self):
        super().setUp()
        self.engine = enginefacade.writer.get_engine()

    def get_engine(self):
        return self.engine

    def get_metadata(self):
        return models.BASE.metadata

    def db_sync(self, engine):
        migration.upgrade(engine)

    def include_object(self, object_, name, type_, reflected, compare_to):
        return not (type_ == 'table' and name == 'alembic_version')


class TestMigrationsWalkSQLite(_MigrationsWalk, testtools.TestCase):
    pass


class TestMigrationsWalkPostgreSQL(_MigrationsWalk, testtools.TestCase):
    FIXTURE = test_fixtures.PostgresqlOpportunisticFixture


class TestMigrationsWalkMySQL(_MigrationsWalk, testtools.TestCase):
    FIXTURE = test_fixtures.MySQLOpportunisticFixture


class TestModelsSyncSQLite(_ModelsSync, testtools.TestCase):
    pass


class TestModelsSyncPostgreSQL(_ModelsSync, testtools.TestCase):
    FIXTURE = test_fixtures.PostgresqlOpportunisticFixture


class TestModelsSyncMySQL(_ModelsSync, testtools.TestCase):
    FIXTURE = test_fixtures.MySQLOpportunisticFixture

