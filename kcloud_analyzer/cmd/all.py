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
"""kcloud-analyzer-all: the whole service on one machine, one command.

The embedded default for a first look: a SQLite store under ``./state``,
the agent replaying the bundled sample trace over an in-process message
bus, and the API on 127.0.0.1 without authentication. The configuration
it runs with is written to ``state/kcloud-analyzer.conf`` on the first
start and may be edited, or overridden by files given with
``--config-file``.
"""

import signal
import sys
import threading

from kcloud_analyzer.agent import service as agent_service
from kcloud_analyzer.api import app
from kcloud_analyzer.cmd import api as api_cmd
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from kcloud_analyzer import service

STATE_ENV = service.EMBEDDED_STATE_ENV

EMBEDDED_CONFIG = """\
# The embedded default of kcloud-analyzer-all. Nothing here is fit for a
# shared machine: the API trusts every caller (auth_strategy = noauth).
[DEFAULT]
state_path = {state}
# In-process message bus: notifications stay inside this process.
transport_url = fake://
collection_interval = 10

[api]
host = 127.0.0.1
port = 8080
auth_strategy = noauth

[database]
connection = sqlite:///{state}/kcloud_analyzer.sqlite

[collector]
enabled = replay

[replay_collector]
# Trace seconds per wall-clock second: an hour of the trace a minute.
speed = 60

[coordination]
backend_url = file://{state}/coordination

[agent]
analysis_interval = 30s
"""


def state_folder():
    """``$KCLOUD_ANALYZER_STATE``, or ``state`` in the current folder."""
    return service.embedded_state_folder()


def write_default_config(state):
    state.mkdir(parents=True, exist_ok=True)
    config = state / 'kcloud-analyzer.conf'
    if not config.exists():
        config.write_text(EMBEDDED_CONFIG.format(state=state))
    return config


def _interrupt(signum, frame):
    raise KeyboardInterrupt()


def main(argv=None):
    # The agent's tasks are threads started and stopped here, next to the
    # API server: no process launcher, so no eventlet.
    state = state_folder()
    config = write_default_config(state)
    if argv is None:
        argv = sys.argv[1:]
    # First on the command line, so that files the user adds with
    # --config-file override it rather than replace it.
    conf = service.prepare_command(['--config-file', str(config), *argv],
                                   default_config_files=[])
    db_api.configure(conf)
    migration.upgrade()
    db_api.sqlite_use_wal()

    server = api_cmd.make_server(conf, app.setup_app(conf))
    try:
        server.prepare()
    except OSError as error:
        sys.stderr.write('Cannot listen on %s:%s (%s); change [api] port in '
                         '%s\n' % (conf.api.host, conf.api.port, error,
                                   config))
        return 1
    agent = agent_service.AgentService(conf)
    agent.start()
    url = api_cmd.base_url(server)
    print('kcloud-analyzer is running with the embedded default '
          '(state in %s).' % state)
    print('  API:            %s/' % url)
    print('  Documentation:  %s/docs   <- point a browser here' % url)
    print('  Workloads:      %s/api/v1/workloads' % url)
    print('  Costs:          %s/api/v1/cost?group_by=workload&period=hour'
          % url)
    print('  Recommendations: %s/api/v1/recommendations' % url)
    print('The sample trace is replayed an hour a minute; classes, costs '
          'and recommendations appear after the first analysis (about '
          'half a minute). Ctrl-C stops.', flush=True)
    serving = threading.Thread(target=server.serve, name='api',
                               daemon=True)
    serving.start()
    # Ctrl-C and SIGTERM (a service manager, kill) stop both; set here
    # because libraries loaded above may have replaced the handlers.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        serving.join()
    except KeyboardInterrupt:
        print('Stopping...', flush=True)
    finally:
        # A second Ctrl-C must not cut the shutdown short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        server.stop()
        agent.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
