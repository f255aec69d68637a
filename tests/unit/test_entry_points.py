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
"""Every entry point that setup.cfg declares must load: a console script
or a plugin that points at nothing is a broken install."""

from importlib import metadata

import pytest

_ENTRY_POINTS = list(metadata.distribution('kcloud-analyzer').entry_points)
_CLIENT_ENTRY_POINTS = list(
    metadata.distribution('python-kcloud-analyzerclient').entry_points)


def test_the_declared_namespaces_exist():
    groups = {ep.group for ep in _ENTRY_POINTS}
    assert {'console_scripts', 'oslo.config.opts', 'oslo.policy.policies',
            'kcloud_analyzer.collectors', 'kcloud_analyzer.classifiers',
            'kcloud_analyzer.cost_models'} <= groups


@pytest.mark.parametrize('entry_point', _ENTRY_POINTS,
                         ids=lambda ep: '%s:%s' % (ep.group, ep.name))
def test_entry_point_loads(entry_point):
    assert entry_point.load() is not None


def test_the_client_declares_every_command():
    names = {ep.name for ep in _CLIENT_ENTRY_POINTS
             if ep.group == 'openstack.analyzer.v1'}
    assert names == {
        'analyzer_workload_list', 'analyzer_workload_show',
        'analyzer_workload_analyze', 'analyzer_cost_show',
        'analyzer_cost_summary', 'analyzer_cost_predict',
        'analyzer_cost_forecast', 'analyzer_metric_list',
        'analyzer_recommendation_list', 'analyzer_rate_list'}


@pytest.mark.parametrize('entry_point', _CLIENT_ENTRY_POINTS,
                         ids=lambda ep: '%s:%s' % (ep.group, ep.name))
def test_client_entry_point_loads(entry_point):
    assert entry_point.load() is not None
