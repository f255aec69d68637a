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
"""kcloud-analyzer-agent: collection, analysis and cost, as one service.

SIGTERM drains the batches in flight and leaves the coordination group;
SIGHUP re-reads the configuration files.
"""

import sys

from oslo_service import backend

from kcloud_analyzer import service


def main(argv=None):
    # oslo.service's threading backend must be chosen before anything
    # imports oslo_service.service: no eventlet anywhere in the agent.
    backend.init_backend(backend.BackendType.THREADING)
    conf = service.prepare_command(argv, log_json=True)
    # Imported once the options are parsed, so that --help and a bad
    # option answer at once: the agent's jobs load the analytics stack.
    from oslo_service import service as os_service

    from kcloud_analyzer.agent import service as agent_service
    from kcloud_analyzer.db import api as db_api

    db_api.configure(conf)
    launcher = os_service.launch(conf, agent_service.AgentService(conf),
                                 workers=1, restart_method='reload')
    return launcher.wait()


if __name__ == '__main__':
    sys.exit(main())
