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
"""kcloud-analyzer-manage: offline and maintenance commands.

Each category lives in its own module exposing ``add_parser(subparsers)``;
the chosen action is ``conf.category.action_fn(conf)`` and returns the
exit status.
"""

import importlib
import sys

from oslo_config import cfg
from oslo_log import log

from kcloud_analyzer.common import lazy
from kcloud_analyzer import service

# Loaded when a command runs, not for --help.
db_api = lazy.load('kcloud_analyzer.db.api')
migration = lazy.load('kcloud_analyzer.db.migration')

LOG = log.getLogger(__name__)

#: category modules, in the order ``--help`` lists them
CATEGORY_MODULES = (
    'kcloud_analyzer.cmd.manage',
    'kcloud_analyzer.cmd.analyze',
    'kcloud_analyzer.cmd.cost',
    'kcloud_analyzer.cmd.dlq',
    'kcloud_analyzer.cmd.rollups',
)


def _db_sync(conf):
    db_api.configure(conf)
    migration.upgrade(revision=conf.category.revision)
    print('Database is at revision %s' % migration.version())
    return 0


def _db_version(conf):
    db_api.configure(conf)
    current = migration.version()
    print(current or 'empty')
    return 0 if current == migration.head() else 1


def add_parser(subparsers):
    db = subparsers.add_parser('db', help='Database schema commands.')
    actions = db.add_subparsers(title='db commands', dest='action')
    actions.required = True
    sync = actions.add_parser(
        'sync', help='Create or upgrade the schema (as kcloud-analyzer-'
                     'dbsync).')
    sync.add_argument('revision', nargs='?', default='head',
                      help='Revision to upgrade to (default: head).')
    sync.set_defaults(action_fn=_db_sync)
    version = actions.add_parser(
        'version', help='Print the schema revision; exit 1 when it is not '
                        'the newest.')
    version.set_defaults(action_fn=_db_version)


def add_command_parsers(subparsers):
    for name in CATEGORY_MODULES:
        importlib.import_module(name).add_parser(subparsers)


def main(argv=None):
    category = cfg.SubCommandOpt('category', title='Commands',
                                 handler=add_command_parsers,
                                 help='Available categories')
    conf = service.prepare_command(argv, cli_opts=[category])
    try:
        return conf.category.action_fn(conf)
    except KeyboardInterrupt:
        return 130


if __name__ == '__main__':
    sys.exit(main())
