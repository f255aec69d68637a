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
"""Agents polling a real Prometheus into PostgreSQL: the slots nobody
polled while every agent was down are polled by the next agent from the
stored watermarks, and each (instance, metric, window) holds exactly one
sample per slot."""

import datetime
import math
import time
import uuid

from kcloud_analyzer.agent import service as agent_service
from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import prometheus
from kcloud_analyzer.db import api as db_api
from tests import fixtures
from tests.functional.collector import gpu_fleet
from tests.functional.collector import services

INTERVAL = 2
WINDOW = 10


def _conf(pg_url, redis_url, group, prometheus_url):
    return services.make_conf({
        ('database', 'connection'): pg_url,
        ('coordination', 'backend_url'): redis_url,
        ('agent', 'coordination_group'): group,
        ('agent', 'metrics_port'): 0,
        ('collector', 'enabled'): ['prometheus'],
        ('prometheus_collector', 'url'): prometheus_url,
        (None, 'collection_interval'): INTERVAL,
        (None, 'rollup_window'): WINDOW,
    })


def _agent(pg_url, redis_url, group, url, name):
    conf = _conf(pg_url, redis_url, group, url)
    fixtures.use_store(conf)
    agent = agent_service.AgentService(conf, listen=False,
                                       member_id='%s-%s' % (name, group))
    agent.start()
    return agent


def _marks(context, instances):
    return db_api.poll_watermarks_get(context, 'prometheus', instances)


def test_slots_nobody_polled_are_backfilled_once(pg_url, redis_url,
                                                 tmp_path):
    group = 'kca-backfill-%s' % uuid.uuid4().hex[:8]
    instances = ['vm-%s-%02d' % (group[-8:], i) for i in range(6)]
    context = kcontext.get_admin_context()
    agents = []
    with gpu_fleet.prometheus_fleet(tmp_path, instances) as url:
        try:
            agents += [_agent(pg_url, redis_url, group, url, 'a'),
                       _agent(pg_url, redis_url, group, url, 'b')]
            services.wait_for(
                lambda: len(_marks(context, instances)) == len(instances),
                30, what='every instance polled once')
            covered_from = time.time()
            # the agents stop inside the first window every slot of
            # which they poll
            first = math.ceil(covered_from / WINDOW) * WINDOW
            services.wait_for(
                lambda: min(_marks(context, instances).values()) >=
                first // INTERVAL + 1, 60, what='both agents polling')
            # every agent goes away; nobody polls for four intervals
            for agent in agents:
                agent.stop()
            gap = max(_marks(context, instances).values())
            time.sleep(4 * INTERVAL)
            backfilled = prometheus.value(
                'kcloud_analyzer_polls_backfilled_total')
            agents.append(_agent(pg_url, redis_url, group, url, 'c'))
            services.wait_for(
                lambda: min(_marks(context, instances).values()) >=
                gap + 4 + WINDOW // INTERVAL, 40,
                what='the new agent to catch up and go on')
            agents[-1].stop()
            last = min(_marks(context, instances).values())
        finally:
            for agent in agents:
                if agent.coordinator is not None:
                    agent.stop()

    assert prometheus.value('kcloud_analyzer_polls_backfilled_total') - \
        backfilled >= 3 * len(instances)
    marks = db_api.poll_watermark_list(context, 'prometheus')
    assert {m['polled_by'] for m in marks if m['target'] in instances} == {
        agents[-1].member_id}
    counts = gpu_fleet.stored_counts(context, instances)
    metrics = {metric for _, metric, _ in counts}
    # windows every slot of which was polled: after every instance had
    # a watermark, up to the last slot the last agent stored
    end = (last + 1) * INTERVAL // WINDOW * WINDOW
    windows = [datetime.datetime.fromtimestamp(start, datetime.UTC).replace(
        tzinfo=None) for start in range(first, end, WINDOW)]
    # the windows run through the time nobody polled
    assert first <= gap * INTERVAL and end >= (gap + 5) * INTERVAL
    expected = {(i, metric, w): WINDOW // INTERVAL for i in instances
                for metric in metrics for w in windows}
    got = {key: counts.get(key, 0) for key in expected}
    lost = sum(max(0, expected[k] - got[k]) for k in expected)
    double = sum(max(0, got[k] - expected[k]) for k in expected)
    print('\nBACKFILL windows %d samples %d lost %d double %d'
          % (len(windows), sum(got.values()), lost, double))
    assert (lost, double) == (0, 0)
