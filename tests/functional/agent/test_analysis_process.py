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
"""The agent's analysis in a process of its own (``[agent]
analysis_process``): real child processes on a store of real serving
series."""

import pytest

from kcloud_analyzer.agent import analysis
from kcloud_analyzer.agent import service as agent_service
from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import utils
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.metrics_collector import ingest
from kcloud_analyzer import service
from tests import fixtures
from tests.unit.jobs import conftest as jobs_conftest

PODS = jobs_conftest.PODS


@pytest.fixture
def store(tmp_path):
    """A SQLite store of real serving pods whose series end now, and the
    configuration file that names it (which the child reads)."""
    now = utils.utcnow().replace(second=0, microsecond=0)
    conf, context, pods = jobs_conftest.make_serving_store(
        tmp_path, now, accelerator='A100')
    return conf, context, pods


def _agent(conf, context):
    agent = agent_service.AgentService(conf, listen=False, member_id='unit')
    agent.context = context
    agent.ingestor = ingest.Ingestor(context, conf.rollup_window)
    return agent


def test_the_agent_analyses_in_a_process_of_its_own(store):
    conf, context, pods = store
    assert conf.agent.analysis_process
    agent = _agent(conf, context)
    agent.analyse_once()
    assert not agent._children
    for pod in pods:
        stored = db_api.workload_get(context, pod)
        assert stored['classified_type'] == 'serving'
        assert stored['profile']['resource']['gpus_allocated'] == 1
    # and priced the hours of the series
    assert db_api.cost_record_list(context, pods[0])


def test_a_child_analyses_only_this_agents_share_of_the_ring(store):
    conf, context, pods = store
    # a ring where another agent holds some of the pods
    nodes = {'unit': 1, 'other': 1}
    mine = [pod for pod in pods
            if analysis.RingShare('unit', nodes, 32)(pod)]
    assert 0 < len(mine) < len(pods) or len(pods) < 2
    child = analysis.Child(conf, 'analyse', recommend=False, ring={
        'member': 'unit', 'nodes': nodes, 'partitions': 32})
    child.wait()
    classified = {pod for pod in pods
                  if db_api.workload_get(context, pod)['classified_type']}
    assert classified == set(mine)


def test_a_failed_run_is_an_error_of_the_task(tmp_path):
    config = tmp_path / 'broken.conf'
    config.write_text('[database]\nconnection = sqlite:///%s/no/such/dir/'
                      'kcloud.sqlite\nmax_retries = 0\n' % tmp_path)
    conf = service.prepare_service(['--config-file', str(config)],
                                   default_config_files=[])
    agent = _agent(conf, kcontext.get_admin_context())
    with pytest.raises(RuntimeError, match='ended with status 1'):
        agent.analyse_once()
    # a configuration the child cannot read: status 2
    config.unlink()
    with pytest.raises(RuntimeError, match='ended with status 2'):
        analysis.Child(conf, 'analyse').wait()


def test_stopping_the_agent_ends_its_analysis(store):
    conf, context, _ = store
    agent = _agent(conf, context)
    child = analysis.Child(conf, 'analyse')
    agent._children.add(child)
    agent._stop.set()
    child.kill()
    assert child.process.returncode is not None
    with pytest.raises(RuntimeError):
        child.wait()


def test_the_worker_does_not_load_the_analytics_libraries():
    # what the agent's manager imports before it forks the worker
    assert fixtures.modules_loaded(
        'from kcloud_analyzer.agent import service\n'
        'from kcloud_analyzer.cmd import agent',
        ['sklearn', 'statsmodels', 'scipy']) == []


def test_the_child_logs_where_the_agent_logs(store, tmp_path):
    conf, _, _ = store
    log = tmp_path / 'agent.log'
    config = conf.config_file[0]
    conf = service.prepare_service(
        ['--config-file', config, '--log-file', str(log), '--debug'],
        default_config_files=[])
    argv = analysis.config_argv(conf)
    assert argv == ['--config-file', config, '--log-file', str(log),
                    '--debug']
    analysis.Child(conf, 'analyse', recommend=False).wait()
    assert 'Classified %d workloads' % PODS in log.read_text()


def test_the_child_ends_when_the_agent_dies(store):
    conf, _, _ = store
    child = analysis.Child(conf, 'analyse')
    # what the kernel does to the pipe when the worker is killed
    child.process.stdin.close()
    assert child.process.wait(60) == 3


def _environment(pid):
    with open('/proc/%d/environ' % pid, 'rb') as stream:
        return dict(item.decode('utf-8').split('=', 1)
                    for item in stream.read().split(b'\0') if item)


def test_a_retraining_child_starts_with_the_allocator_settings(
        store, monkeypatch):
    conf, _, _ = store
    # the agent's own value of one of them is kept
    monkeypatch.setenv('MALLOC_ARENA_MAX', '4')
    monkeypatch.delenv('MALLOC_MMAP_THRESHOLD_', raising=False)
    environ = {}
    for task in ('retrain_cost_model', 'analyse'):
        child = analysis.Child(conf, task, recommend=False)
        try:
            # Popen returns once the child has executed Python
            environ[task] = _environment(child.process.pid)
        finally:
            child.kill()
    assert environ['retrain_cost_model']['MALLOC_ARENA_MAX'] == '4'
    assert environ['retrain_cost_model']['MALLOC_MMAP_THRESHOLD_'] == (
        '1048576')
    assert environ['analyse']['MALLOC_ARENA_MAX'] == '4'
    assert 'MALLOC_MMAP_THRESHOLD_' not in environ['analyse']
