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
"""Fixtures shared by the unit and functional tests."""

import contextlib
import os
import subprocess
import sys
import uuid

import fixtures
from oslo_config import cfg
from oslo_db.sqlalchemy import enginefacade
from oslo_db.sqlalchemy import provision
import sqlalchemy as sa

from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from kcloud_analyzer import service


def make_conf(state_path, argv=()):
    """A parsed ConfigOpts with every option registered and no config file
    read from the system."""
    conf = cfg.ConfigOpts()
    service.register_all(conf)
    conf(list(argv), project='kcloud-analyzer', default_config_files=[])
    conf.set_override('state_path', state_path)
    return conf


class ConfFixture(fixtures.Fixture):
    """A fresh configuration whose state lives in a temporary folder."""

    def _setUp(self):
        self.state_path = self.useFixture(fixtures.TempDir()).path
        self.conf = make_conf(self.state_path)
        self.addCleanup(self.conf.reset)


def _patch_store(manager, configured):
    """Put ``manager`` in place of db.api's context and set whether
    ``configure`` counts as done; returns a callable that undoes both."""
    restore = db_api.main_context_manager.patch_factory(manager)
    was_configured = db_api.configure.called
    db_api.configure.called = configured

    def reset():
        restore()
        db_api.configure.called = was_configured
        if manager.is_started:
            manager.writer.get_engine().dispose()
    return reset


def use_store(conf):
    """Point db.api at ``conf``'s ``[database]`` until the returned
    callable is called.

    The services' own ``db_api.configure`` runs once per process (it
    cannot reconfigure a started enginefacade); a test patches a new
    context in with enginefacade's public test hooks instead, and marks
    ``configure`` done so that a command run in-process keeps this store.
    """
    manager = db_api.main_context_manager.make_new_manager()
    manager.configure(**db_api.database_options(conf))
    return _patch_store(manager, configured=True)


def unconfigured_store():
    """Let a command run in-process configure the store itself, as it
    does in a process of its own; returns a callable that undoes it."""
    return _patch_store(enginefacade.transaction_context(), configured=False)


@contextlib.contextmanager
def provisioned_database(database_type='postgresql', migrate=False):
    """A database of its own on the real PostgreSQL or MySQL/MariaDB
    (``database_type`` as oslo.db names it), made and dropped by oslo.db's
    provisioning with the ``openstack_citest`` account its opportunistic
    tests use; at the newest schema when ``migrate``. Yields its URL.

    :raises oslo_db.exception.BackendNotAvailable: the server cannot be
        reached (a test fails on it; it does not skip).
    """
    backend = provision.Backend.backend_for_database_type(database_type)
    name = 'kca_%s' % uuid.uuid4().hex[:12]
    backend.create_named_database(name)
    url = backend.provisioned_database_url(name).render_as_string(
        hide_password=False)
    try:
        if migrate:
            engine = sa.create_engine(url)
            try:
                migration.upgrade(engine)
            finally:
                engine.dispose()
        yield url
    finally:
        backend.drop_named_database(name)


class Database(fixtures.Fixture):
    """Points db.api at a migrated database.

    Without a URL, a SQLite file in the configuration's state folder.
    """

    def __init__(self, conf, url=None):
        super().__init__()
        self.conf = conf
        self.url = url

    def _setUp(self):
        url = self.url or 'sqlite:///%s' % os.path.join(
            self.conf.state_path, 'test.sqlite')
        self.conf.set_override('connection', url, group='database')
        self.addCleanup(use_store(self.conf))
        self.engine = db_api.get_engine()
        migration.upgrade(self.engine)


def modules_loaded(imports, modules):
    """Those of ``modules`` that a fresh interpreter has loaded once it
    ran ``imports`` (Python statements), sorted."""
    code = ('import sys\n%s\nprint("\\n".join(sorted(m for m in %r '
            'if m in sys.modules)))\n' % (imports, tuple(modules)))
    out = subprocess.run([sys.executable, '-c', code], check=True,
                         capture_output=True, text=True).stdout
    return out.split()
