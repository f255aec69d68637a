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
"""kcloud-analyzer-api: serve the API with a threaded HTTP server.

For production, run ``kcloud_analyzer.wsgi.api:application`` under uWSGI
(as DevStack does); this command is for a single host.
"""

import sys

from cheroot import wsgi
from oslo_log import log

from kcloud_analyzer.api import app
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer import service

LOG = log.getLogger(__name__)


def make_server(conf, application, port=None):
    """A cheroot server for ``application`` on ``[api] host`` and ``port``
    (``[api] port`` by default; 0 picks a free port)."""
    return wsgi.Server(
        (conf.api.host, conf.api.port if port is None else port),
        application, numthreads=conf.api.server_threads,
        server_name='kcloud-analyzer-api')


def base_url(server):
    host, port = server.bind_addr[:2]
    if ':' in host:
        host = '[%s]' % host
    return 'http://%s:%d' % (host, port)


def main(argv=None):
    conf = service.prepare_command(argv, log_json=False)
    db_api.configure(conf)
    server = make_server(conf, app.setup_app(conf))
    server.prepare()
    url = base_url(server)
    print('kcloud-analyzer API listening on %s/ (auth: %s)'
          % (url, conf.api.auth_strategy))
    print('Point a browser at %s/docs for the interactive documentation.'
          % url, flush=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
