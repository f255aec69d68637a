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
"""kcloud-analyzer-dbsync: create or upgrade the database schema."""

import os
import sys

from oslo_log import log
import sqlalchemy.engine

from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from kcloud_analyzer import service

LOG = log.getLogger(__name__)


def _make_sqlite_folder(connection):
    url = sqlalchemy.engine.make_url(connection)
    if url.get_backend_name() == 'sqlite' and url.database:
        folder = os.path.dirname(os.path.abspath(url.database))
        os.makedirs(folder, exist_ok=True)


def main(argv=None):
    conf = service.prepare_command(argv)
    _make_sqlite_folder(conf.database.connection)
    db_api.configure(conf)
    before = migration.version()
    migration.upgrade()
    after = migration.version()
    if before == after:
        LOG.info('Database schema is up to date at revision %s', after)
    else:
        LOG.info('Database schema upgraded from %s to %s',
                 before or 'empty', after)
    return 0


if __name__ == '__main__':
    sys.exit(main())
