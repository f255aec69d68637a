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
"""Agents on the real Redis (tooz) and PostgreSQL: the polling targets are
split with no overlap and no gap, and a stopping agent's targets are taken
over within one interval."""

import time
import uuid

import pandas as pd

from kcloud_analyzer.agent import service as agent_service
from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.db import api as db_api
from tests import fixtures
from tests.functional.collector import services

INTERVAL = 2


def _trace(tmp_path, workloads):
    times = pd.date_range('2026-02-01T00:00:00Z', periods=30, freq='30s')
    rows = [(w, t.strftime('%Y-%m-%dT%H:%M:%SZ'), 'power_watts', 100.0 + i)
            for i, w in enumerate(workloads) for t in times]
    path = tmp_path / 'usage.csv'
    pd.DataFrame(rows, columns=['workload_id', 'timestamp', 'metric',
                                'value']).to_csv(path, index=False)
    return path


def _conf(pg_url, redis_url, group, usage):
    return services.make_conf({
        ('database', 'connection'): pg_url,
        ('coordination', 'backend_url'): redis_url,
        ('agent', 'coordination_group'): group,
        ('collector', 'enabled'): ['replay'],
        ('replay_collector', 'usage_file'): str(usage),
        ('replay_collector', 'shift_to_now'): False,
        ('replay_collector', 'speed'): 30.0,
        (None, 'collection_interval'): INTERVAL,
    })


def test_two_agents_split_targets_and_take_over(pg_url, redis_url,
                                                tmp_path):
    workloads = ['bmc-%02d' % i for i in range(24)]
    usage = _trace(tmp_path, workloads)
    group = 'kca-test-%s' % uuid.uuid4().hex[:8]
    conf_a = _conf(pg_url, redis_url, group, usage)
    conf_b = _conf(pg_url, redis_url, group, usage)
    fixtures.use_store(conf_a)
    agent_a = agent_service.AgentService(conf_a, listen=False,
                                         member_id='a-' + group)
    agent_b = agent_service.AgentService(conf_b, listen=False,
                                         member_id='b-' + group)
    agent_a.start()
    agent_b.start()
    try:
        def split():
            a = agent_a.assignments.get('replay', set())
            b = agent_b.assignments.get('replay', set())
            # the two agents see each other once neither polls everything
            return a and b and len(a) < len(workloads) and \
                len(b) < len(workloads) and (a, b)

        a, b = services.wait_for(split, 6 * INTERVAL, what='a split')
        assert not a & b, 'a target polled by both agents'
        assert a | b == set(workloads), 'a target polled by no agent'
        # the analysis of the workloads is split on the same ring
        owned_a = {w for w in workloads if agent_a.owns_workload(w)}
        owned_b = {w for w in workloads if agent_b.owns_workload(w)}
        assert owned_a and owned_b and not owned_a & owned_b
        assert owned_a | owned_b == set(workloads)
        # the split holds while both agents live
        polls = agent_b.polls
        services.wait_for(lambda: agent_b.polls >= polls + 2,
                          4 * INTERVAL, what='two more polls')
        a2 = agent_a.assignments['replay']
        b2 = agent_b.assignments['replay']
        assert (a2, b2) == (a, b)

        stopped_at = time.monotonic()
        agent_a.stop()
        polls = agent_b.polls
        # the first poll that starts after agent A left takes everything
        services.wait_for(lambda: agent_b.polls >= polls + 2,
                          3 * INTERVAL, what='agent B to poll again')
        assert agent_b.assignments['replay'] == set(workloads)
        assert time.monotonic() - stopped_at <= 2 * INTERVAL + 1.0

        # every replayed sample was stored once, by whichever agent
        context = kcontext.get_admin_context()
        rows = [r for w in workloads
                for r in db_api.rollup_list(context, workload_id=w)]
        assert rows
        assert all(r['min'] == r['max'] for r in rows)
        counts = {}
        for row in rows:
            counts[row['workload_id']] = counts.get(
                row['workload_id'], 0) + row['count']
        assert max(counts.values()) <= 30
    finally:
        agent_b.stop()
        if agent_a.coordinator is not None:
            agent_a.stop()
