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
"""kcloud-analyzer-agent as a process on the real RabbitMQ, Redis and
PostgreSQL: SIGHUP reloads its configuration, SIGTERM drains it without
losing or double-counting a notification."""

import datetime
import os
import pathlib
import signal
import subprocess
import sys
import uuid

import pandas as pd

from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import rpc
from kcloud_analyzer.db import api as db_api
from tests.functional.collector import services

AGENT = pathlib.Path(sys.executable).parent / 'kcloud-analyzer-agent'


def _config(path, pg_url, redis_url, topic, collectors='', trace=''):
    path.write_text(
        '[DEFAULT]\ntransport_url = %s\ncollection_interval = 1\n'
        '[oslo_messaging_rabbit]\namqp_durable_queues = false\n'
        '[database]\nconnection = %s\n[coordination]\nbackend_url = %s\n'
        '[agent]\ncoordination_group = %s\n'
        '[notification]\ntopics = %s\npool = %s\nbatch_timeout = 1\n'
        'batch_size = 20\n'
        '[collector]\nenabled = %s\n'
        '[replay_collector]\nusage_file = %s\nshift_to_now = false\n'
        'speed = 3600\n'
        % (services.RABBIT_URL, pg_url, redis_url, topic, topic, topic,
           collectors, trace))


def _start(config, log):
    return subprocess.Popen([str(AGENT), '--config-file', str(config),
                             '--log-file', str(log)],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)


def _started(log, times=1):
    """Wait until the agent logged its start ``times`` times (its queue
    exists from then on)."""
    services.wait_for(
        lambda: log.exists() and log.read_text().count(
            'Agent ') and log.read_text().count('started (collectors') >=
        times, 60, interval=0.2, what='the agent to start')


def _samples(workload, count, first):
    # recent, so that the agent's retention purge keeps them
    base = datetime.datetime.now(datetime.UTC).replace(
        tzinfo=None, minute=0, second=0, microsecond=0)
    return [{'counter_name': 'power', 'counter_type': 'gauge',
             'counter_unit': 'W', 'counter_volume': float(first + i),
             'resource_id': workload, 'project_id': 'p', 'user_id': 'u',
             'timestamp': (base + datetime.timedelta(
                 seconds=first + i)).isoformat(),
             'resource_metadata': {}, 'message_id': str(uuid.uuid4())}
            for i in range(count)]


def _stored(context, workload):
    return sum(r['count'] for r in db_api.rollup_list(
        context, workload_id=workload))


def _prefetch(queue):
    """The prefetch counts of the consumers of ``queue``, as the broker
    has them."""
    listed = subprocess.run(
        ['rabbitmqctl', '-q', 'list_consumers', 'queue_name',
         'prefetch_count'], check=True, capture_output=True, text=True,
        timeout=60).stdout
    return [int(count) for name, count in
            (line.split('\t') for line in listed.splitlines()[1:])
            if name == queue]


def test_agent_reloads_on_sighup_and_drains_on_sigterm(pg_url, redis_url,
                                                       tmp_path, broker):
    services.require_port('127.0.0.1', 5672, 'RabbitMQ')
    assert AGENT.exists(), AGENT
    services.configure_db(pg_url)
    context = kcontext.get_admin_context()
    topic = broker.topic('kca-cmd')
    workload = 'cmd-%s' % uuid.uuid4().hex[:8]
    replayed = 'replayed-%s' % uuid.uuid4().hex[:8]
    trace = tmp_path / 'usage.csv'
    hour = pd.Timestamp.now(tz='UTC').floor('h')
    pd.DataFrame({'workload_id': replayed,
                  'timestamp': [hour.isoformat(),
                                (hour + pd.Timedelta(seconds=30)).isoformat()],
                  'metric': 'power_watts', 'value': [1.0, 3.0]}).to_csv(
        trace, index=False)
    config = tmp_path / 'agent.conf'
    _config(config, pg_url, redis_url, topic)

    transport = rpc.get_transport(services.make_conf(),
                                  url=services.RABBIT_URL)
    notifier = rpc.get_notifier(transport, 'functional', [topic])
    agent = _start(config, tmp_path / 'agent.log')
    try:
        _started(tmp_path / 'agent.log')
        # RabbitMQ sends the agent at most two batches (20) ahead
        queue = rpc.pool_queue(topic, topic)
        services.wait_for(lambda: _prefetch(queue) == [40], 30,
                          interval=0.5, what='the agent to consume')
        notifier.sample({}, 'metering', _samples(workload, 10, 0))
        services.wait_for(lambda: _stored(context, workload) == 10, 60,
                          interval=0.5, what='the agent to store samples')
        assert _stored(context, replayed) == 0

        # SIGHUP: the replay collector enabled in the file starts polling
        _config(config, pg_url, redis_url, topic, 'replay', trace)
        os.kill(agent.pid, signal.SIGHUP)
        services.wait_for(lambda: _stored(context, replayed) == 2, 60,
                          interval=0.5, what='the reloaded configuration')

        # SIGTERM with notifications in flight: what the agent did not
        # store stays on the queue for the next agent
        for first in range(10, 1010, 20):
            notifier.sample({}, 'metering', _samples(workload, 20, first))
        os.kill(agent.pid, signal.SIGTERM)
        assert agent.wait(60) == 0
        drained = _stored(context, workload)
        assert 10 <= drained <= 1010
        agent = _start(config, tmp_path / 'agent2.log')
        _started(tmp_path / 'agent2.log')
        services.wait_for(lambda: _stored(context, workload) >= 1010, 60,
                          interval=0.5, what='the next agent to finish')
        assert _stored(context, workload) == 1010
    finally:
        if agent.poll() is None:
            agent.terminate()
            agent.wait(60)
        transport.cleanup()
