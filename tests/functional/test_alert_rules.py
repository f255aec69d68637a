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
"""The alert rules as Prometheus's own promtool reads them
(tools/ci/setup-prometheus.sh installs it)."""

import pathlib
import shutil
import subprocess

ALERTS = (pathlib.Path(__file__).parents[2] / 'etc' / 'prometheus' /
          'kcloud-analyzer-alerts.yaml')


def test_promtool_accepts_the_alert_rules():
    promtool = shutil.which('promtool')
    assert promtool, 'promtool missing: run tools/ci/setup-prometheus.sh'
    result = subprocess.run([promtool, 'check', 'rules', str(ALERTS)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'SUCCESS: 10 rules found' in result.stdout
