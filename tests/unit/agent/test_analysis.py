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
import pytest

from kcloud_analyzer.agent import analysis

TUNED = {'MALLOC_ARENA_MAX': '1', 'MALLOC_MMAP_THRESHOLD_': '1048576'}


@pytest.mark.parametrize('task', ['retrain_classifier',
                                  'retrain_cost_model'])
def test_a_retraining_child_gets_the_allocator_settings(conf, task):
    assert conf.agent.retraining_malloc_tuning
    environ = analysis.child_environment(conf, task, {'PATH': '/bin'})
    assert environ == dict(TUNED, PATH='/bin')


def test_an_analysis_child_keeps_the_allocators_defaults(conf):
    agent = {'PATH': '/bin'}
    assert analysis.child_environment(conf, 'analyse', agent) == agent


def test_the_agents_own_allocator_settings_are_kept(conf):
    agent = {'MALLOC_ARENA_MAX': '4', 'PATH': '/bin'}
    environ = analysis.child_environment(conf, 'retrain_classifier', agent)
    assert environ['MALLOC_ARENA_MAX'] == '4'
    assert environ['MALLOC_MMAP_THRESHOLD_'] == '1048576'
    # the agent's own environment is not changed
    assert 'MALLOC_MMAP_THRESHOLD_' not in agent


def test_without_the_tuning_the_environment_is_the_agents(conf):
    conf.set_override('retraining_malloc_tuning', False, group='agent')
    agent = {'PATH': '/bin', 'MALLOC_ARENA_MAX': '4'}
    assert analysis.child_environment(
        conf, 'retrain_classifier', agent) == agent
