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

import os
import shutil
import signal
import sys
import tempfile

from cheroot import wsgi
from oslo_log import log
from prometheus_client import values

from kcloud_analyzer.api import prometheus
from kcloud_analyzer import service

LOG = log.getLogger(__name__)


def make_server(conf, application, port=None, reuse_port=False):
    """A cheroot server for ``application`` on ``[api] host`` and ``port``
    (``[api] port`` by default; 0 picks a free port). ``reuse_port`` lets
    several processes listen on the same port."""
    return wsgi.Server(
        (conf.api.host, conf.api.port if port is None else port),
        application, numthreads=conf.api.server_threads,
        server_name='kcloud-analyzer-api', reuse_port=reuse_port)


def base_url(server):
    host, port = server.bind_addr[:2]
    if ':' in host:
        host = '[%s]' % host
    return 'http://%s:%d' % (host, port)


def _serve(conf, reuse_port):
    """Build the application and serve it until interrupted."""
    # The application loads the analytics stack: imported only to serve,
    # never for --help or a bad option (a no-op once main imported it).
    from kcloud_analyzer.api import app
    from kcloud_analyzer.db import api as db_api

    db_api.configure(conf)
    server = make_server(conf, app.setup_app(conf), reuse_port=reuse_port)
    server.prepare()
    return server


def _run(server):
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _worker(conf):
    """A forked worker process; it never returns."""
    # The parent decides when workers stop; a terminal's Ctrl-C reaches
    # the whole process group, the parent then sends SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _interrupt)
    status = 0
    try:
        _run(_serve(conf, reuse_port=True))
    except Exception:
        LOG.exception('API worker %d failed', os.getpid())
        status = 1
    os._exit(status)


def _interrupt(signum, frame):
    raise KeyboardInterrupt()


def _announce(url, conf):
    print('kcloud-analyzer API listening on %s/ (auth: %s, %d worker%s)'
          % (url, conf.api.auth_strategy, conf.api.workers,
             '' if conf.api.workers == 1 else 's'))
    print('Point a browser at %s/docs for the interactive documentation.'
          % url, flush=True)


def _share_metrics():
    """Have the workers keep their Prometheus counts in a folder of files
    that every scrape sums, unless the environment names one already.
    Returns the folder made here (to remove at exit), or None."""
    if prometheus.multiprocess_folder() is not None:
        return None
    folder = tempfile.mkdtemp(prefix='kcloud-analyzer-api-metrics-')
    os.environ[prometheus.MULTIPROCESS_ENV] = folder
    # prometheus_client picks its value storage from the environment when
    # imported; the workers create their metrics after this.
    values.ValueClass = values.get_value_class()
    return folder


def main(argv=None):
    conf = service.prepare_command(argv, log_json=True)
    # Loaded before any fork, so that the workers share the modules.
    from kcloud_analyzer.api import app  # noqa: F401

    # SIGTERM (a service manager) stops as Ctrl-C does: requests in
    # flight finish.
    signal.signal(signal.SIGTERM, _interrupt)
    if conf.api.workers == 1:
        server = _serve(conf, reuse_port=False)
        _announce(base_url(server), conf)
        _run(server)
        return 0
    # Each worker builds its own application and database engine after
    # the fork: nothing with a connection is shared between processes.
    metrics_folder = _share_metrics()
    children = []
    for _ in range(conf.api.workers):
        pid = os.fork()
        if pid == 0:
            _worker(conf)
        children.append(pid)
    host = conf.api.host if ':' not in conf.api.host else (
        '[%s]' % conf.api.host)
    _announce('http://%s:%d' % (host, conf.api.port), conf)
    status = 0
    try:
        for pid in children:
            _, code = os.waitpid(pid, 0)
            status = status or os.waitstatus_to_exitcode(code)
    except KeyboardInterrupt:
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in children:
            os.waitpid(pid, 0)
    finally:
        if metrics_folder is not None:
            shutil.rmtree(metrics_folder, ignore_errors=True)
    return status


if __name__ == '__main__':
    sys.exit(main())
