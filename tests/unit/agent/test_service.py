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
import threading

from kcloud_analyzer.agent import service


def test_every_runs_until_stopped_and_survives_failures():
    stop = threading.Event()
    calls = []

    def task():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError('first run fails')
        if len(calls) >= 3:
            stop.set()

    thread = service._Every('test', lambda: 0.01, task, stop)
    thread.start()
    thread.join(5)
    assert not thread.is_alive()
    assert len(calls) == 3


def test_missing_task_functions_are_skipped():
    assert service._find('kcloud_analyzer.no_such_module', 'f') is None
    assert service._find('kcloud_analyzer.agent.service', 'nothing') is None
    assert service._find('kcloud_analyzer.agent.service',
                         '_find') is service._find
