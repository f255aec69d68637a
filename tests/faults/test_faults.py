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
"""Faults on purpose, counted sample by sample.

Every test sends samples whose (workload, metric, window) it knows, breaks
something on purpose, and compares what was sent with what the store holds
per (workload, metric, window): nothing may be lost or counted twice. The
figures of each run are printed (``pytest -s``) for the admin guide.
"""

import collections
import datetime
import math
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

from oslo_config import cfg

from kcloud_analyzer.agent import service as agent_service
from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import prometheus
from kcloud_analyzer.common import rpc
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from kcloud_analyzer.metrics_collector import deadletter
from kcloud_analyzer.metrics_collector import normalise
from kcloud_analyzer import service
from tests.faults import services

AGENT = pathlib.Path(sys.executable).parent / 'kcloud-analyzer-agent'
WINDOW = 300
SAMPLES_PER_MESSAGE = 10


def _conf_text(rabbit, postgres, redis, topic, extra=''):
    return ('[DEFAULT]\ntransport_url = %s\ncollection_interval = 2\n'
            '[database]\nconnection = %s\n'
            '[coordination]\nbackend_url = %s\n'
            '[agent]\ncoordination_group = %s\n'
            '[notification]\ntopics = %s\nbatch_timeout = 1\n'
            'batch_size = 200\n[collector]\nenabled =\n%s'
            % (rabbit.url, postgres.url, redis.url, topic, topic, extra))


def _conf(path):
    conf = cfg.ConfigOpts()
    service.register_all(conf)
    conf(['--config-file', str(path)], project='kcloud-analyzer',
         default_config_files=[])
    return conf


def _setup(tmp_path, private, topic):
    rabbit, postgres, redis = private
    path = tmp_path / 'agent.conf'
    path.write_text(_conf_text(rabbit, postgres, redis, topic))
    conf = _conf(path)
    db_api.configure(conf)
    migration.upgrade()
    return path, conf


class Sender:
    """Sends Ceilometer power samples and remembers what it sent per
    (workload, metric, window)."""

    def __init__(self, conf, url, topic, previous=None):
        self.transport = rpc.get_transport(conf, url=url)
        self.notifier = rpc.get_notifier(self.transport, 'faults', [topic])
        self.sent = collections.Counter()
        self.base = datetime.datetime.now(datetime.UTC).replace(
            tzinfo=None, minute=0, second=0, microsecond=0)
        if previous is not None:
            # what a sender before a restart sent counts too
            self.sent, self.base = previous.sent, previous.base
        self.messages = 0

    def sample(self, workload, second, value=100.0, **changes):
        sample = {
            'counter_name': 'power', 'counter_type': 'gauge',
            'counter_unit': 'W', 'counter_volume': value,
            'resource_id': workload, 'project_id': 'p', 'user_id': 'u',
            'timestamp': (self.base + datetime.timedelta(
                seconds=second)).isoformat(),
            'resource_metadata': {}, 'message_id': str(uuid.uuid4())}
        sample.update(changes)
        return sample

    def count(self, workload, second):
        self.sent[(workload, 'power_watts',
                   self.base + datetime.timedelta(
                       seconds=second // WINDOW * WINDOW))] += 1

    def send_valid(self, workload, first):
        samples = []
        for i in range(SAMPLES_PER_MESSAGE):
            samples.append(self.sample(workload, first + i))
            self.count(workload, first + i)
        self.send(samples)

    def send(self, payload):
        self.notifier.sample({}, 'metering', payload)
        self.messages += 1

    def close(self):
        self.transport.cleanup()


def _stored(context, workloads):
    stored = collections.Counter()
    for workload in workloads:
        for row in db_api.rollup_list(context, workload_id=workload):
            stored[(row['workload_id'], row['metric'],
                    row['window_start'])] += row['count']
    return stored


def _compare(sent, stored):
    keys = set(sent) | set(stored)
    lost = sum(max(0, sent[k] - stored[k]) for k in keys)
    double = sum(max(0, stored[k] - sent[k]) for k in keys)
    return lost, double


def _report(name, sent, stored, recovery):
    lost, double = _compare(sent, stored)
    print('\nFAULT %s: sent %d stored %d lost %d double %d recovery %.1f s'
          % (name, sum(sent.values()), sum(stored.values()), lost, double,
             recovery))
    return lost, double


def _start_agent(config, log):
    return subprocess.Popen([str(AGENT), '--config-file', str(config),
                             '--log-file', str(log)],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, start_new_session=True)


def _wait_started(log, times=1):
    services.wait_for(
        lambda: log.exists() and log.read_text().count(
            'started (collectors') >= times, 120, interval=0.5,
        what='the agent to start')


def _stop_agent(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)


def _wait_stored(context, sender, workloads, timeout):
    expected = sum(sender.sent.values())
    services.wait_for(
        lambda: sum(_stored(context, workloads).values()) >= expected,
        timeout, interval=1.0, what='%d samples stored' % expected)


def test_broker_killed_with_a_backlog(private, tmp_path):
    rabbit, postgres, redis = private
    topic = 'kca-fault-broker'
    config, conf = _setup(tmp_path, private, topic)
    context = kcontext.get_admin_context()
    workloads = ['broker-%02d' % i for i in range(20)]
    agent = _start_agent(config, tmp_path / 'agent.log')
    sender = None
    try:
        # the agent declares its durable queue, then goes away
        _wait_started(tmp_path / 'agent.log')
        _stop_agent(agent)
        sender = Sender(conf, rabbit.url, topic)
        for index in range(2000):
            sender.send_valid(workloads[index % 20], index * 10)
        queue = rpc.pool_queue(conf.notification.pool, topic)
        services.wait_for(lambda: rabbit.queue_depth(queue) == 2000, 60,
                          what='the backlog on the broker')
        sender.close()
        first, sender = sender, None
        # persistent messages reach the disk within a moment
        time.sleep(2)
        rabbit.kill()
        rabbit.start()
        restarted = time.monotonic()
        assert rabbit.queue_depth(queue) == 2000
        agent = _start_agent(config, tmp_path / 'agent2.log')
        sender = Sender(conf, rabbit.url, topic, previous=first)
        for index in range(2000, 2200):
            sender.send_valid(workloads[index % 20], index * 10)
        _wait_stored(context, sender, workloads, 180)
        recovery = time.monotonic() - restarted
        time.sleep(3)
        lost, double = _report('broker kill -9 with 2,000 queued',
                               sender.sent, _stored(context, workloads),
                               recovery)
        assert (lost, double) == (0, 0)
    finally:
        if sender is not None:
            sender.close()
        _stop_agent(agent)


def test_database_stopped_30s_during_ingest(private, tmp_path):
    rabbit, postgres, redis = private
    topic = 'kca-fault-db'
    config, conf = _setup(tmp_path, private, topic)
    context = kcontext.get_admin_context()
    workloads = ['db-%02d' % i for i in range(20)]
    agent = _start_agent(config, tmp_path / 'agent.log')
    sender = Sender(conf, rabbit.url, topic)
    outage = {}

    def send():
        for index in range(3000):
            sender.send_valid(workloads[index % 20], index * 10)
            time.sleep(0.012)

    try:
        _wait_started(tmp_path / 'agent.log')
        thread = threading.Thread(target=send)
        thread.start()
        time.sleep(4)
        postgres.stop('fast')
        time.sleep(30)
        postgres.start()
        outage['back'] = time.monotonic()
        thread.join(120)
        _wait_stored(context, sender, workloads, 180)
        recovery = time.monotonic() - outage['back']
        time.sleep(3)
        lost, double = _report('PostgreSQL stopped 30 s', sender.sent,
                               _stored(context, workloads), recovery)
        assert (lost, double) == (0, 0)
        # the agent recovered by itself
        assert agent.poll() is None
        assert 'requeue' in (tmp_path / 'agent.log').read_text().lower()
    finally:
        sender.close()
        _stop_agent(agent)


HOSTILE_VOLUMES = [
    ('400-digit integer', int('9' * 400)),
    ('NaN', math.nan),
    ('Infinity', math.inf),
    ('1e308 W', 1e308),
    ('negative W', -500.0),
    ('string', 'lots'),
    ('list', [1, 2]),
]
HOSTILE_IDS = ['vm\x00nul', 'v' * 300, 'vm-\ud800', '']


def test_hostile_notifications_mixed_with_valid(private, tmp_path):
    rabbit, postgres, redis = private
    topic = 'kca-fault-hostile'
    config, conf = _setup(tmp_path, private, topic)
    context = kcontext.get_admin_context()
    workloads = ['ok-%02d' % i for i in range(20)] + ['ok-\u00fcnic\u00f8de']
    agent = agent_service.AgentService(conf, member_id='hostile')
    sender = Sender(conf, rabbit.url, topic)
    malformed_before = sum(
        prometheus.value('kcloud_analyzer_samples_malformed_total',
                         {'reason': reason})
        for reason in (normalise.NOT_FINITE, normalise.OUT_OF_BOUNDS,
                       normalise.BAD_TIMESTAMP, normalise.BAD_IDENTIFIER,
                       normalise.MALFORMED_MESSAGE))
    letters_before = prometheus.value(
        'kcloud_analyzer_samples_dead_lettered_total', {'topic': topic})
    bad_samples = 0
    bad_messages = 0
    agent.start()
    started = time.monotonic()
    try:
        for index in range(10000):
            kind = index % 8
            # within the day ahead the agent accepts
            first = index * 5
            valid = sender.sample(workloads[index % 21], first)
            sender.count(workloads[index % 21], first)
            if kind < len(HOSTILE_VOLUMES):
                _, volume = HOSTILE_VOLUMES[kind]
                payload = [valid, sender.sample('bad', first + 1, volume)]
                bad_samples += 1
            elif index % 16 == 7:
                payload = [valid, sender.sample(
                    HOSTILE_IDS[(index // 16) % 4], first + 1)]
                bad_samples += 1
            else:
                # wrong types and a payload that is no list, or 1 MB
                payload = ({'counter_name': 'power'} if index % 1024 != 15
                           else [{'x': 'y' * 1000000}])
                sender.sent[(workloads[index % 21], 'power_watts',
                             sender.base + datetime.timedelta(
                                 seconds=first // WINDOW * WINDOW))] -= 1
                bad_samples += 1
            bad_messages += 1
            sender.send(payload)
        _wait_stored(context, sender, workloads, 240)
        services.wait_for(
            lambda: prometheus.value(
                'kcloud_analyzer_samples_dead_lettered_total',
                {'topic': topic}) - letters_before >= bad_messages,
            120, what='every hostile notification dead-lettered')
        elapsed = time.monotonic() - started
        time.sleep(3)
        stored = _stored(context, workloads)
        lost, double = _report('10,000 hostile notifications', sender.sent,
                               stored, elapsed)
        assert (lost, double) == (0, 0)
        malformed = sum(
            prometheus.value('kcloud_analyzer_samples_malformed_total',
                             {'reason': reason})
            for reason in (normalise.NOT_FINITE, normalise.OUT_OF_BOUNDS,
                           normalise.BAD_TIMESTAMP, normalise.BAD_IDENTIFIER,
                           normalise.MALFORMED_MESSAGE)) - malformed_before
        assert malformed == bad_samples
        letters = prometheus.value(
            'kcloud_analyzer_samples_dead_lettered_total',
            {'topic': topic}) - letters_before
        assert letters == bad_messages
        url = deadletter.broker_url(conf)
        listed = deadletter.read(conf, url, topic, limit=5)
        assert len(listed) == 5 and all(x['reason'] for x in listed)
        assert rabbit.queue_depth(deadletter.queue_name(topic)) == \
            bad_messages
        print('FAULT hostile: %d hostile notifications, %d refused '
              'samples counted, %d dead letters' % (bad_messages, malformed,
                                                   letters))
    finally:
        agent.stop()
        sender.close()


POLL_INTERVAL = 3
POLL_WINDOW = 15


def _poll_conf_text(private, group, prometheus_url, member):
    rabbit, postgres, redis = private
    return ('[DEFAULT]\ntransport_url = %s\ncollection_interval = %d\n'
            'rollup_window = %d\n[database]\nconnection = %s\n'
            '[coordination]\nbackend_url = %s\n'
            '[agent]\ncoordination_group = %s\nmember_id = %s\n'
            'metrics_port = 0\n[notification]\ntopics = %s\n'
            '[collector]\nenabled = prometheus\n'
            '[prometheus_collector]\nurl = %s\n'
            % (rabbit.url, POLL_INTERVAL, POLL_WINDOW, postgres.url,
               redis.url, group, member, group, prometheus_url))


def _children(pid):
    found = []
    for task in pathlib.Path('/proc/%d/task' % pid).iterdir():
        found += [int(c) for c in
                  (task / 'children').read_text().split()]
    return found


def _marks(context, instances):
    return {m['target']: m for m in db_api.poll_watermark_list(
        context, 'prometheus') if m['target'] in instances}


def _owned_by(marks, member):
    return {t: m['slot'] for t, m in marks.items()
            if m['polled_by'] == member}


def _taken_over(context, instances, orphans, member):
    """True once every target of ``orphans`` ({target: slot}) was polled
    past its slot by another member than ``member``."""
    marks = _marks(context, instances)
    return all(marks[t]['polled_by'] != member and marks[t]['slot'] > slot
               for t, slot in orphans.items())


def test_three_agents_one_killed_one_worker_killed(private, tmp_path):
    """Three agents poll twelve instances' dcgm-exporter output through a
    real Prometheus. One agent is SIGKILLed, then the worker process of
    another (its master respawns it), then every agent; a fourth agent
    started afterwards polls the slots nobody polled from the stored
    watermarks. Every (instance, metric, window) then holds exactly one
    sample per interval slot: what the source offered."""
    from tests.functional.collector import gpu_fleet

    group = 'kca-fault-agents'
    instances = ['vm-fault-%02d' % i for i in range(12)]
    context = kcontext.get_admin_context()
    (tmp_path / 'prometheus').mkdir()
    agents = {}
    figures = {}

    def start(name):
        config = tmp_path / ('%s.conf' % name)
        config.write_text(_poll_conf_text(private, group, url,
                                          'fault-%s' % name))
        log = tmp_path / ('%s.log' % name)
        agents[name] = (_start_agent(config, log), log)

    def members():
        return {m['polled_by'] for m in _marks(context, instances).values()}

    with gpu_fleet.prometheus_fleet(tmp_path / 'prometheus',
                                    instances) as url:
        try:
            _setup(tmp_path, private, group)
            for name in ('a', 'b', 'c'):
                start(name)
            for _, log in agents.values():
                _wait_started(log)
            # the three agents share the instances
            services.wait_for(
                lambda: len(_marks(context, instances)) == len(instances) and
                {m.split('.')[0] for m in members()} == {
                    'fault-a', 'fault-b', 'fault-c'},
                60, interval=0.5, what='the three agents polling')
            covered_from = time.time()
            time.sleep(2 * POLL_INTERVAL)

            # 1. SIGKILL agent a (its master and worker)
            process, _ = agents['a']
            os.killpg(process.pid, signal.SIGKILL)
            killed = time.monotonic()
            process.wait(30)
            marks = _marks(context, instances)
            [member_a] = {m['polled_by'] for m in marks.values()
                          if m['polled_by'].startswith('fault-a.')}
            orphans = _owned_by(marks, member_a)
            services.wait_for(
                lambda: _taken_over(context, instances, orphans, member_a),
                6 * POLL_INTERVAL, interval=0.1,
                what='the targets of the killed agent polled again')
            figures['agent SIGKILL'] = time.monotonic() - killed
            time.sleep(2 * POLL_INTERVAL)

            # 2. SIGKILL the worker process of agent b; its master
            # respawns it
            process, log_b = agents['b']
            [worker] = _children(process.pid)
            marks = _marks(context, instances)
            [member_b] = {m['polled_by'] for m in marks.values()
                          if m['polled_by'].startswith('fault-b.')}
            os.kill(worker, signal.SIGKILL)
            killed = time.monotonic()
            orphans = _owned_by(_marks(context, instances), member_b)
            services.wait_for(
                lambda: _taken_over(context, instances, orphans, member_b),
                6 * POLL_INTERVAL, interval=0.1,
                what='the targets of the killed worker polled again')
            figures['worker SIGKILL'] = time.monotonic() - killed
            _wait_started(log_b, times=2)
            services.wait_for(
                lambda: any(m.startswith('fault-b.') and m != member_b
                            for m in members()),
                60, interval=0.5, what='the respawned worker polling')
            assert process.poll() is None
            time.sleep(2 * POLL_INTERVAL)

            # 3. every agent SIGKILLed: nobody polls for three intervals,
            # then a new agent polls the missed slots from the watermarks
            for name in ('b', 'c'):
                os.killpg(agents[name][0].pid, signal.SIGKILL)
                agents[name][0].wait(30)
            gap = max(m['slot'] for m in _marks(context, instances).values())
            time.sleep(3 * POLL_INTERVAL)
            start('d')
            services.wait_for(
                lambda: min(m['slot'] for m in _marks(
                    context, instances).values()) >=
                gap + 4 + POLL_WINDOW // POLL_INTERVAL,
                120, interval=0.5, what='the new agent to catch up')
            _stop_agent(agents['d'][0])
            last = min(m['slot'] for m in _marks(context, instances).values())
        finally:
            for process, _ in agents.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(30)

    backfilled = sum(
        int(count) for _, log in agents.values()
        for count in re.findall(r'Backfilling (\d+) slots', log.read_text()))
    counts = gpu_fleet.stored_counts(context, instances)
    metrics = {metric for _, metric, _ in counts}
    # the windows every slot of which some agent had to poll: from the
    # first full window after the three agents shared the instances to
    # the last slot stored
    first = math.ceil(covered_from / POLL_WINDOW) * POLL_WINDOW
    end = (last + 1) * POLL_INTERVAL // POLL_WINDOW * POLL_WINDOW
    assert end > (gap + 4) * POLL_INTERVAL
    per_window = POLL_WINDOW // POLL_INTERVAL
    expected = collections.Counter({
        (i, metric, datetime.datetime.fromtimestamp(
            start_, datetime.UTC).replace(tzinfo=None)): per_window
        for i in instances for metric in metrics
        for start_ in range(first, end, POLL_WINDOW)})
    stored = collections.Counter({key: counts[key] for key in expected})
    recovery = max(figures.values())
    lost, double = _report('3 agents, one SIGKILLed, one worker SIGKILLed, '
                           'then all', expected, stored, recovery)
    print('FAULT agents: takeover after agent SIGKILL %.1f s, after worker '
          'SIGKILL %.1f s; %d target polls backfilled; interval %d s'
          % (figures['agent SIGKILL'], figures['worker SIGKILL'],
             backfilled, POLL_INTERVAL))
    assert (lost, double) == (0, 0)
    assert backfilled >= 2 * len(instances)
    # Polling is reassigned within one interval when the machine is not
    # loaded (a dead member expires after two heartbeats of a quarter
    # interval); on a loaded two-core machine the worker case measured
    # 3.3-4.7 s for a 3 s interval, so the test holds it to two.
    assert figures['agent SIGKILL'] <= 2 * POLL_INTERVAL
    assert figures['worker SIGKILL'] <= 2 * POLL_INTERVAL
