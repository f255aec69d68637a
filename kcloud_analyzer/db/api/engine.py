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
"""The store's enginefacade transaction context and its configuration.

Every service and command calls :func:`configure` once, after
prepare_service(); as in Placement, a second call only logs a warning
(enginefacade cannot be reconfigured once started). Tests point the
context at their own database with oslo.db's fixtures instead.
"""

from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_log import log
from sqlalchemy import exc as sa_exc
from sqlalchemy import orm

from kcloud_analyzer.common import exception
from kcloud_analyzer.common import utils


LOG = log.getLogger(__name__)
main_context_manager = enginefacade.transaction_context()


#: Store errors that go away by themselves, so that the same write may be
#: tried again (a notification batch is requeued): the database is not
#: reachable or busy, or some of the messages were recorded meanwhile (the
#: retry leaves them out). A refused first connection reaches callers as
#: SQLAlchemy's OperationalError, not wrapped by oslo.db. Anything else
#: would fail again, forever.
RETRYABLE_ERRORS = (db_exc.DBConnectionError, db_exc.DBDeadlock,
                    exception.MessagesAlreadyRecorded,
                    sa_exc.OperationalError, sa_exc.InterfaceError)

_UNSUPPORTED_DB_OPTIONS = ('backend', 'use_tpool', 'use_db_reconnect',
                           'db_retry_interval', 'db_inc_retry_interval',
                           'db_max_retry_interval', 'db_max_retries',
                           'mysql_wsrep_sync_wait')


def database_options(conf):
    """The ``[database]`` options of ``conf`` that enginefacade takes."""
    return {k: v for k, v in conf.database.items()
            if k not in _UNSUPPORTED_DB_OPTIONS}


@utils.run_once('The database is already configured; not reconfiguring.',
                LOG.warning)
def configure(conf):
    """Point the store at ``conf``'s ``[database]`` options (once).

    The ORM mappers are configured here, at start-up, rather than by the
    first query (the first batch a listener handles)."""
    from kcloud_analyzer.db import models  # noqa: F401 - the mappers
    main_context_manager.configure(**database_options(conf))
    orm.configure_mappers()


def get_engine():
    return main_context_manager.writer.get_engine()


def sqlite_use_wal():
    """Put a SQLite store in write-ahead-log mode (kept in the file).

    Readers then never wait for a writer: the embedded default runs the
    API and the agent on one SQLite file. Other databases are left alone.
    """
    engine = get_engine()
    if engine.dialect.name == 'sqlite':
        # The journal mode cannot change inside a transaction, which the
        # engine's connections always open: use the driver's own.
        connection = engine.raw_connection()
        try:
            connection.driver_connection.execute('PRAGMA journal_mode=WAL')
        finally:
            connection.close()
