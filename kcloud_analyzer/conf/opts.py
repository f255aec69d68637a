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
"""Entry points for oslo-config-generator and oslo.config's defaults."""

import collections

from oslo_config import cfg
from oslo_db import options as db_options
from oslo_log import log
from oslo_middleware import cors

from kcloud_analyzer import conf as kconf

DEFAULT_DB_CONNECTION = 'sqlite:///$state_path/kcloud_analyzer.sqlite'

#: log levels of the libraries the services use, beyond oslo.log's list
EXTRA_LOG_LEVELS = ['alembic=WARN', 'kombu=WARN', 'tooz=INFO', 'pecan=WARN']


def list_opts():
    """Return (group, opts) pairs for every option of the project."""
    merged = collections.defaultdict(list)
    for module in kconf.modules():
        for group, group_opts in module.list_opts().items():
            merged[group].extend(group_opts)
    return sorted(merged.items(),
                  key=lambda item: '' if item[0] == 'DEFAULT'
                  else getattr(item[0], 'name', item[0]))


def set_lib_defaults():
    """Defaults of library options that differ for this service, for
    oslo-config-generator (prepare_service applies them to its own
    ConfigOpts)."""
    cfg.set_defaults(db_options.database_opts,
                     connection=DEFAULT_DB_CONNECTION)
    set_log_defaults()
    set_cors_defaults()
    # imported here: importing oslo.messaging chooses oslo.service's
    # backend, which the agent's command must choose first (threading)
    from kcloud_analyzer.common import rpc
    rpc.set_lib_defaults()


def set_cors_defaults():
    """Browsers on another origin (a dashboard) may send and read these
    headers of the API."""
    cors.set_defaults(
        allow_headers=['X-Auth-Token', 'OpenStack-API-Version',
                       'X-OpenStack-Request-ID', 'Content-Type'],
        expose_headers=['OpenStack-API-Version', 'X-OpenStack-Request-ID'],
        allow_methods=['GET', 'POST'])


def set_log_defaults():
    default = log.get_default_log_levels()
    log.set_defaults(default_log_levels=default + [
        level for level in EXTRA_LOG_LEVELS if level not in default])
