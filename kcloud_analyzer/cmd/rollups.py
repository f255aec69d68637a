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
"""``kcloud-analyzer-manage rollups``: storage maintenance of the rollups.

::

    kcloud-analyzer-manage rollups downsample [--before ISO8601]

``downsample`` replaces the rollups of windows older than ``[DEFAULT]
rollup_full_resolution_age`` (or before ``--before``) by hourly rollups in
bulk SQL (:mod:`kcloud_analyzer.jobs.retention`), as the agent does at
every ``[agent] purge_interval``. Hours not priced yet are left alone.
Running it again changes nothing more. Exit status 2 for a bad
``--before``.
"""

import sys

from kcloud_analyzer.common import lazy

# Loaded when a command runs, not for --help.
context = lazy.load('kcloud_analyzer.common.context')
db_api = lazy.load('kcloud_analyzer.db.api')
retention = lazy.load('kcloud_analyzer.jobs.retention')


def _downsample(conf):
    before = conf.category.before
    if before is not None:
        import pandas as pd
        try:
            stamp = pd.Timestamp(before)
        except ValueError as exc:
            print(f'Invalid --before {before!r}: {exc}', file=sys.stderr)
            return 2
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert('UTC').tz_localize(None)
        before = stamp.to_pydatetime()
    db_api.configure(conf)
    until, hours, replaced = retention.downsample(
        conf, context.get_admin_context(), before=before)
    if until is None:
        print('Nothing to downsample: no hour is priced yet, or '
              'rollup_full_resolution_age is 0')
        return 0
    print(f'Replaced {replaced} rollups of windows before '
          f'{until.isoformat()}Z by {hours} hourly rollups')
    return 0


def add_parser(subparsers):
    rollups = subparsers.add_parser(
        'rollups', help='Storage maintenance of the usage rollups.')
    actions = rollups.add_subparsers(title='rollups commands',
                                     dest='action')
    actions.required = True
    downsample = actions.add_parser(
        'downsample', help='Replace old rollups by hourly ones '
                           '(rollup_full_resolution_age).')
    downsample.add_argument(
        '--before', default=None,
        help='ISO 8601 instant (UTC when no offset) to downsample before, '
             'instead of now minus rollup_full_resolution_age; never after '
             'the newest priced hour.')
    downsample.set_defaults(action_fn=_downsample)
