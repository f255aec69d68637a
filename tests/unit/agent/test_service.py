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
import datetime
import socket
import threading
import time
import urllib.request

import numpy as np
from prometheus_client import parser
import pytest
from sqlalchemy import exc as sa_exc

from kcloud_analyzer.agent import analysis
from kcloud_analyzer.agent import service
from kcloud_analyzer.common import prometheus
from kcloud_analyzer.jobs import costs
from kcloud_analyzer.jobs import profiles
from kcloud_analyzer.jobs import training
from kcloud_analyzer.metrics_collector.collectors import replay
from kcloud_analyzer.metrics_collector import ingest


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


def test_analysis_runs_the_jobs_on_its_workloads_and_recommends_when_due(
        conf, monkeypatch):
    calls = []
    monkeypatch.setattr(profiles, 'update_profiles',
                        lambda conf, context, owns: calls.append(
                            ('profiles', owns, None)))
    monkeypatch.setattr(costs, 'update_costs',
                        lambda conf, context, owns, recommend: calls.append(
                            ('costs', owns, recommend)))
    # the jobs in this process; their own process in
    # tests/functional/agent/test_analysis_process.py
    conf.set_override('analysis_process', False, group='agent')
    agent = service.AgentService(conf, listen=False)
    agent.context = object()
    agent.ingestor = ingest.Ingestor(agent.context, 300)
    # not in a group yet: every workload is its own
    assert agent.owns_workload('w1') and agent.owns_workload('w2')
    agent.analyse_once()
    # the first run after a start refreshes the recommendations
    assert calls == [('profiles', agent.owns_workload, None),
                     ('costs', agent.owns_workload, True)]
    calls.clear()
    agent.analyse_once()
    # within [agent] recommendation_interval (6 h): only the new hours
    assert calls[1] == ('costs', agent.owns_workload, False)
    conf.set_override('recommendation_interval', 0, group='agent')
    try:
        calls.clear()
        agent.analyse_once()
        assert calls[1] == ('costs', agent.owns_workload, True)
    finally:
        conf.clear_override('recommendation_interval', group='agent')
        conf.clear_override('analysis_process', group='agent')


def test_the_retraining_tasks_are_the_jobs_functions():
    assert service.RETRAIN_TASKS == {
        'workload_classifier': ('workload_classifier', 'retrain_classifier'),
        'cost_model': ('cost_model', 'retrain_cost_model')}
    for _, task in service.RETRAIN_TASKS.values():
        assert task in analysis.TASKS
        assert callable(getattr(training, task))
    assert analysis.TASKS - {'analyse'} == {
        task for _, task in service.RETRAIN_TASKS.values()}


class _FlakyDatabase:
    """The real db.api, except that the first merge fails the way a
    locked SQLite database does (which cannot be produced on demand)."""

    def __init__(self, db):
        self._db = db
        self.failures = 1

    def rollups_upsert(self, *args, **kwargs):
        if self.failures:
            self.failures -= 1
            raise sa_exc.OperationalError('INSERT', {}, Exception('locked'))
        return self._db.rollups_upsert(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._db, name)


def test_polled_samples_survive_a_failed_store(conf, db, context, tmp_path):
    usage = tmp_path / 'usage.csv'
    usage.write_text('workload_id,timestamp,metric,value\n'
                     'w1,2026-01-01T00:00:00Z,power_watts,100\n'
                     'w1,2026-01-01T00:01:00Z,power_watts,300\n')
    conf.set_override('usage_file', str(usage), group='replay_collector')
    conf.set_override('shift_to_now', False, group='replay_collector')
    conf.set_override('speed', 60.0, group='replay_collector')
    flaky = _FlakyDatabase(db)
    agent = service.AgentService(conf, db=flaky, listen=False,
                                 member_id='unit')
    agent.context = context
    agent.ingestor = ingest.Ingestor(context, 300, db=flaky)
    # tooz's file driver: a coordination backend without a server
    agent.conf.set_override('backend_url', 'file://%s' % tmp_path,
                            group='coordination')
    agent._start_coordination()
    agent.collectors = {'replay': replay.ReplayCollector(conf)}
    try:
        agent.poll_once(now=1000.0)
        assert db.rollup_list(context) == []
        agent.poll_once(now=1001.0)
        [row] = db.rollup_list(context, workload_id='w1')
        assert (row['count'], row['mean']) == (2, 200.0)
        assert agent.assignments['replay'] == {'w1'}
    finally:
        agent.coordinator.leave_partitioned_group(agent.partitioner)
        agent.coordinator.stop()
        agent.conf.clear_override('backend_url', group='coordination')


def test_the_analysis_process_gets_the_same_share_of_the_ring(conf,
                                                              tmp_path):
    conf.set_override('backend_url', 'file://%s' % tmp_path,
                      group='coordination')
    agents = [service.AgentService(conf, listen=False, member_id=name)
              for name in ('host-1', 'host-2', 'host-3')]
    try:
        for agent in agents:
            agent._start_coordination()
        for agent in agents:
            agent.coordinator.run_watchers()
        workloads = ['w%04d' % i for i in range(600)]
        shares = []
        for agent in agents:
            assert len(agent.partitioner.ring.nodes) == 3
            share = analysis.RingShare(**analysis.ring_share(
                agent.partitioner, agent.member_id))
            owned = [w for w in workloads if agent.owns_workload(w)]
            assert [w for w in workloads if share(w)] == owned
            shares.append(set(owned))
        assert set.union(*shares) == set(workloads)
        assert sum(map(len, shares)) == len(workloads)
        assert all(shares)
        # not in a group: every workload is the agent's
        assert analysis.ring_share(None, 'x') is None
    finally:
        for agent in agents:
            agent.coordinator.stop()
        conf.clear_override('backend_url', group='coordination')


def test_the_ring_follows_a_member_that_joined_while_it_was_made(
        conf, tmp_path):
    conf.set_override('backend_url', 'file://%s' % tmp_path,
                      group='coordination')
    agents = [service.AgentService(conf, listen=False, member_id=name)
              for name in ('host-1', 'host-2')]
    try:
        for agent in agents:
            agent._start_coordination()
        first, second = agents
        ring = first.partitioner.ring
        other = second.member_id.encode('utf-8')
        first.watch_ring()
        assert set(ring.nodes) == {first.member_id.encode('utf-8'), other}
        # what tooz's race leaves: a member in the watchers' view of the
        # group and in no ring
        ring.remove_node(other)
        first.watch_ring()
        assert other in ring.nodes
        ring.remove_node(other)
        # it leaves: no UnknownNode, and the change is seen
        second.coordinator.leave_partitioned_group(second.partitioner)
        second.partitioner = None
        first._ring_changed.clear()
        for _ in range(2):
            first.watch_ring()
        assert set(ring.nodes) == {first.member_id.encode('utf-8')}
        assert first._ring_changed.is_set()
    finally:
        for agent in agents:
            agent.coordinator.stop()
        conf.clear_override('backend_url', group='coordination')


def test_every_start_joins_with_a_fresh_member_id(conf, tmp_path):
    conf.set_override('backend_url', 'file://%s' % tmp_path,
                      group='coordination')
    agent = service.AgentService(conf, listen=False, member_id='host-1')
    ids = []
    try:
        for _ in range(2):
            # a worker respawned after a crash starts the same service
            # object again, while its predecessor's membership lives on
            agent._start_coordination()
            ids.append(agent.member_id)
            agent.coordinator.stop()
    finally:
        conf.clear_override('backend_url', group='coordination')
    assert ids[0] != ids[1]
    assert all(i.startswith('host-1.') for i in ids)


def test_heartbeat_and_membership_timeout_follow_the_interval(conf):
    agent = service.AgentService(conf, listen=False)
    conf.set_override('collection_interval', 30)
    conf.set_override('backend_url', 'redis://h:6379?timeout=5',
                      group='coordination')
    try:
        assert agent.heartbeat_interval() == 7.5
        assert agent.coordination_url() == \
            'redis://h:6379?timeout=5&membership_timeout=15'
        conf.set_override('heartbeat_interval', 2, group='coordination')
        assert agent.coordination_url().endswith('membership_timeout=4')
        conf.set_override('backend_url',
                          'redis://h:6379?membership_timeout=9',
                          group='coordination')
        assert agent.coordination_url() == \
            'redis://h:6379?membership_timeout=9'
    finally:
        conf.clear_override('collection_interval')
        conf.clear_override('backend_url', group='coordination')
        conf.clear_override('heartbeat_interval', group='coordination')


def test_every_wakes_early_when_asked():
    stop, wake = threading.Event(), threading.Event()
    calls = []
    thread = service._Every('test', lambda: 60.0, lambda: calls.append(1),
                            stop, wake=wake)
    thread.start()
    try:
        service_wait = 0
        while len(calls) < 1 and service_wait < 500:
            threading.Event().wait(0.01)
            service_wait += 1
        wake.set()
        waited = 0
        while len(calls) < 2 and waited < 500:
            threading.Event().wait(0.01)
            waited += 1
        assert len(calls) == 2
    finally:
        stop.set()
        thread.join(5)


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_the_agent_serves_its_metrics(conf, tmp_path):
    port = _free_port()
    conf.set_override('metrics_port', port, group='agent')
    conf.set_override('metrics_host', '127.0.0.1', group='agent')
    conf.set_override('backend_url', 'file://%s' % tmp_path,
                      group='coordination')
    agent = service.AgentService(conf, listen=False)
    stats = ingest.IngestStats()
    try:
        agent._start_coordination()
        agent.watch_ring()
        stats.add(received=5, samples=4, duplicates=1)
        stats.published(np.array([time.time() - 30.0, np.nan]))
        stats.stored()
        prometheus.watch_ingest(stats)
        with prometheus.timed_task('analysis'):
            pass
        agent._serve_metrics()
        url = 'http://127.0.0.1:%d/metrics' % port
        text = urllib.request.urlopen(url, timeout=10).read().decode()
    finally:
        agent.stop()
        prometheus.watch_ingest(None)
        for name in ('metrics_port', 'metrics_host'):
            conf.clear_override(name, group='agent')
        conf.clear_override('backend_url', group='coordination')
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in parser.text_string_to_metric_families(text)
               for s in family.samples}
    assert samples[('kcloud_analyzer_samples_received_total', ())] == 5
    assert samples[('kcloud_analyzer_samples_stored_total', ())] == 4
    assert samples[('kcloud_analyzer_messages_duplicate_total', ())] == 1
    assert samples[('kcloud_analyzer_ring_members', ())] == 1
    assert 29 <= samples[('kcloud_analyzer_ingest_lag_seconds', ())] < 60
    assert time.time() - samples[
        ('kcloud_analyzer_last_ingest_timestamp_seconds', ())] < 60
    assert samples[('kcloud_analyzer_task_last_success_timestamp_seconds',
                    (('task', 'analysis'),))] > 0
    assert samples[('kcloud_analyzer_task_duration_seconds_count',
                    (('task', 'analysis'),))] >= 1
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=5)


def test_a_failing_task_is_counted():
    before = prometheus.value('kcloud_analyzer_task_failures_total',
                              {'task': 'purge'})
    with pytest.raises(RuntimeError):
        with prometheus.timed_task('purge'):
            raise RuntimeError('the purge failed')
    assert prometheus.value('kcloud_analyzer_task_failures_total',
                            {'task': 'purge'}) == before + 1


def test_purge_downsamples_priced_rollups_older_than_the_age(
        conf, db, context, tmp_path):
    conf.set_override('backend_url', 'file://%s' % tmp_path,
                      group='coordination')
    agent = service.AgentService(conf, db=db, listen=False,
                                 member_id='unit')
    agent.context = context
    agent._start_coordination()
    hour = datetime.datetime.now(datetime.UTC).replace(
        tzinfo=None, minute=0, second=0, microsecond=0) - \
        datetime.timedelta(days=10)
    try:
        db.rollups_upsert(context, [{
            'workload_id': 'w1', 'metric': 'power_watts',
            'window_start': hour + i * datetime.timedelta(minutes=5),
            'mean': float(i), 'min': float(i), 'max': float(i),
            'count': 2} for i in range(24)])
        agent.purge_once()
        # no hour priced yet: full resolution kept
        assert len(db.rollup_list(context)) == 24
        db.cost_records_upsert(context, [{
            'workload_id': 'w1', 'project_id': 'p1',
            'hour': hour + datetime.timedelta(hours=1), 'basis': 'usage',
            'currency': 'USD', 'compute': 0, 'gpu': 0, 'npu': 0,
            'storage': 0, 'network': 0, 'energy': 0, 'idle': 0,
            'total': 1}])
        agent.purge_once()
        # the first hour is priced and older than 8 days; the second is
        # the newest priced hour, priced again at the next run
        rows = db.rollup_list(context)
        assert [(r['window_start'], r['count']) for r in rows[:2]] == [
            (hour, 24), (hour + datetime.timedelta(hours=1), 2)]
        assert len(rows) == 13
        assert rows[0]['mean'] == sum(range(12)) / 12
    finally:
        agent.coordinator.stop()
        agent.conf.clear_override('backend_url', group='coordination')
