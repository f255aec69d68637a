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
import subprocess
import sys


def _stderr_of(code):
    return subprocess.run([sys.executable, '-W', 'default', '-c', code],
                          capture_output=True, text=True, timeout=120,
                          check=True).stderr


def test_eventlet_warns_without_the_package():
    assert 'Eventlet is deprecated' in _stderr_of('import eventlet')


def test_no_eventlet_warning_once_the_package_is_imported():
    assert 'Eventlet' not in _stderr_of('import kcloud_analyzer, eventlet')
