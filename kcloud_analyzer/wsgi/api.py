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
"""WSGI entry point of the API for uWSGI, mod_wsgi or any WSGI server.

The server's own command line is not ours to parse: the configuration
files are the default ones (``/etc/kcloud-analyzer/kcloud-analyzer.conf``)
or those listed, separated by ``;``, in ``OS_KCLOUD_ANALYZER_CONFIG_FILES``.
"""

import os

from kcloud_analyzer.api import app
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer import service

CONFIG_FILES_ENV = 'OS_KCLOUD_ANALYZER_CONFIG_FILES'


def init_application():
    files = os.environ.get(CONFIG_FILES_ENV)
    conf = service.prepare_service(
        [], default_config_files=files.split(';') if files else None,
        log_json=True)
    db_api.configure(conf)
    return app.setup_app(conf)


application = init_application()
