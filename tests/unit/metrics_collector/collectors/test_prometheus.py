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
import re

from kcloud_analyzer.metrics_collector.collectors import prometheus


def _unquote(promql_string):
    """What PromQL makes of a double-quoted string's escapes."""
    return re.sub(r'\\(.)', r'\1', promql_string)


def test_label_regex_matches_only_the_given_values():
    values = ['vm-1.a', 'b+c', 'quo"te', 'RBLN_DEVICE_STATUS:UTILIZATION']
    pattern = re.compile('^(?:%s)$' % _unquote(
        prometheus._label_regex(values)))
    for value in values:
        assert pattern.match(value)
    assert not pattern.match('vm-1xa')
    assert not pattern.match('bbc')


def test_gauges_and_counters_are_queried_apart():
    assert 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION' in prometheus._COUNTERS
    assert 'DCGM_FI_DEV_GPU_UTIL_RATIO' in prometheus._GAUGES
    assert not set(prometheus._COUNTERS) & set(prometheus._GAUGES)
