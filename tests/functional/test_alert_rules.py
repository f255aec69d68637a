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
"""The alert rules as Prometheus's own promtool reads them and evaluates
them on the input series of ``etc/prometheus/tests/``
(tools/ci/setup-prometheus.sh installs promtool with Debian's prometheus
package)."""

import pathlib
import shutil
import subprocess

import pytest
import yaml

PROMETHEUS = pathlib.Path(__file__).parents[2] / 'etc' / 'prometheus'
ALERTS = PROMETHEUS / 'kcloud-analyzer-alerts.yaml'
RULE_TESTS = PROMETHEUS / 'tests' / 'kcloud-analyzer-alerts-test.yaml'


def _promtool():
    promtool = shutil.which('promtool')
    if not promtool:
        pytest.skip('promtool is not installed: tools/ci/setup-prometheus.sh '
                    'installs it with Debian\'s prometheus package')
    return promtool


def _alert_names():
    rules = yaml.safe_load(ALERTS.read_text())
    return {rule['alert'] for group in rules['groups']
            for rule in group['rules'] if 'alert' in rule}


def test_promtool_accepts_the_alert_rules():
    result = subprocess.run([_promtool(), 'check', 'rules', str(ALERTS)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'SUCCESS: %d rules found' % len(_alert_names()) in result.stdout


def test_alerts_fire_and_stay_quiet_on_their_input_series():
    result = subprocess.run([_promtool(), 'test', 'rules', str(RULE_TESTS)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'SUCCESS' in result.stdout


def test_every_alert_has_a_firing_and_a_quiet_case():
    tests = yaml.safe_load(RULE_TESTS.read_text())
    assert tests['rule_files'] == ['../' + ALERTS.name]
    firing, quiet = set(), set()
    for case in tests['tests']:
        for check in case['alert_rule_test']:
            (firing if check['exp_alerts'] else quiet).add(
                check['alertname'])
    assert firing == _alert_names()
    assert quiet == _alert_names()
