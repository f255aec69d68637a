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
"""Polling from the stored watermarks: the slots nobody polled are polled
by the next owner, each counted once."""

import collections
import datetime

import pandas as pd
import pytest
from sqlalchemy import exc as sa_exc

from kcloud_analyzer.agent import service
from kcloud_analyzer.common import prometheus
from kcloud_analyzer.metrics_collector.collectors import base
from kcloud_analyzer.metrics_collector import ingest

INTERVAL = 10
#: 3 slots per rollup window
WINDOW = 30


class _History(base.Collector):
    """A source that keeps history: the power of a target at ``when`` is
    a function of the slot, and every poll is recorded."""

    name = 'history'
    backfill = True

    def __init__(self, conf, targets):
        super().__init__(conf)
        self._targets = list(targets)
        self.polls = []

    def targets(self):
        return list(self._targets)

    def poll(self, targets, now):
        slot = int(now // self.conf.collection_interval)
        self.polls.append((slot, tuple(targets)))
        samples = pd.DataFrame({
            'resource_id': list(targets),
            'metric': 'power_watts',
            'timestamp': float(now),
            'value': 100.0 + slot % 7,
        })
        return base.with_poll_ids(samples, self.name, 'resource_id', slot)


class _Present(_History):
    """The same source, read at the present only."""

    name = 'present'
    backfill = False


@pytest.fixture
def agent(conf, db, context, tmp_path):
    conf.set_override('collection_interval', INTERVAL)
    conf.set_override('backend_url', 'file://%s' % tmp_path,
                      group='coordination')
    made = []

    def make(member, collector, database=None):
        database = database or db
        one = service.AgentService(conf, db=database, listen=False,
                                   member_id=member)
        one.context = context
        one.ingestor = ingest.Ingestor(context, WINDOW, db=database)
        one._start_coordination()
        one.collectors = {collector.name: collector}
        made.append(one)
        return one

    yield make
    for one in made:
        if one.partitioner is not None:
            one.coordinator.leave_partitioned_group(one.partitioner)
        one.coordinator.stop()
    conf.clear_override('collection_interval')
    conf.clear_override('backend_url', group='coordination')
    conf.clear_override('max_backfill', group='agent')


def _counts(db, context, targets):
    counts = collections.Counter()
    for target in targets:
        for row in db.rollup_list(context, workload_id=target):
            counts[(target, row['window_start'])] += row['count']
    return counts


def _window(slot):
    return datetime.datetime.fromtimestamp(
        slot * INTERVAL // WINDOW * WINDOW, datetime.UTC).replace(tzinfo=None)


def _expected(targets, first, last):
    """One sample per target and slot from ``first`` to ``last``."""
    expected = collections.Counter()
    for target in targets:
        for slot in range(first, last + 1):
            expected[(target, _window(slot))] += 1
    return expected


def test_a_target_polled_first_starts_at_the_current_slot(conf, db, context,
                                                           agent):
    source = _History(conf, ['t1', 't2'])
    one = agent('a', source)
    one.poll_once(now=1000 * INTERVAL + 3)
    assert source.polls == [(1000, ('t1', 't2'))]
    assert db.poll_watermarks_get(context, 'history', ['t1', 't2']) == {
        't1': 1000, 't2': 1000}
    [mark] = db.poll_watermark_list(context, 'history')[:1]
    assert mark['polled_by'] == one.member_id
    assert _counts(db, context, ['t1', 't2']) == _expected(
        ['t1', 't2'], 1000, 1000)


def test_the_missed_slots_of_a_dead_owner_are_backfilled_once(conf, db,
                                                              context, agent):
    targets = ['t%d' % i for i in range(6)]
    first = _History(conf, targets)
    dead = agent('dead', first)
    dead.poll_once(now=1000 * INTERVAL + 1)
    dead.poll_once(now=1001 * INTERVAL + 1)
    # the agent dies; nobody polls slots 1002..1004
    backfilled = prometheus.value('kcloud_analyzer_polls_backfilled_total')
    second = _History(conf, targets)
    heir = agent('heir', second)
    dead.coordinator.leave_partitioned_group(dead.partitioner)
    dead.partitioner = None
    heir.poll_once(now=1005 * INTERVAL + 4)
    # one poll per missed slot, each of every target
    assert [slot for slot, _ in second.polls] == [1002, 1003, 1004, 1005]
    assert all(set(polled) == set(targets) for _, polled in second.polls)
    assert prometheus.value('kcloud_analyzer_polls_backfilled_total') == \
        backfilled + 3 * len(targets)
    # every slot 1000..1005 once per target: no gap, nothing twice
    assert _counts(db, context, targets) == _expected(targets, 1000, 1005)
    assert set(db.poll_watermarks_get(context, 'history', targets).values()
               ) == {1005}
    # a second poll in the same slot polls nothing again
    heir.poll_once(now=1005 * INTERVAL + 8)
    assert len(second.polls) == 4
    assert _counts(db, context, targets) == _expected(targets, 1000, 1005)


def test_a_slot_stored_but_not_marked_is_not_counted_twice(conf, db, context,
                                                           agent):
    targets = ['a', 'b']
    source = _History(conf, targets)
    one = agent('one', source)
    one.poll_once(now=2000 * INTERVAL)
    # another agent stored slot 2001 and died before moving the watermark
    other = ingest.Ingestor(context, WINDOW, db=db)
    samples = _History(conf, targets).poll(targets, 2001 * INTERVAL + 5)
    other.store(samples, list(samples['message_id'].unique()))
    one.poll_once(now=2002 * INTERVAL)
    assert [slot for slot, _ in source.polls] == [2000, 2001, 2002]
    assert _counts(db, context, targets) == _expected(targets, 2000, 2002)


def test_backfill_goes_back_max_backfill_at_most(conf, db, context, agent):
    conf.set_override('max_backfill', 5 * INTERVAL, group='agent')
    source = _History(conf, ['x'])
    one = agent('one', source)
    one.poll_once(now=3000 * INTERVAL)
    one.poll_once(now=3100 * INTERVAL)
    assert [slot for slot, _ in source.polls] == [
        3000, 3095, 3096, 3097, 3098, 3099, 3100]
    conf.set_override('max_backfill', 0, group='agent')
    one.poll_once(now=3103 * INTERVAL)
    assert source.polls[-1] == (3103, ('x',))
    assert len(source.polls) == 8


def test_targets_with_different_watermarks_are_polled_from_each(conf, db,
                                                                context,
                                                                agent):
    source = _History(conf, ['old', 'new', 'first'])
    one = agent('one', source)
    db.poll_watermarks_set(context, 'history', ['old'], 4000)
    db.poll_watermarks_set(context, 'history', ['new'], 4002)
    one.poll_once(now=4003 * INTERVAL)
    assert source.polls == [(4001, ('old',)), (4002, ('old',)),
                            (4003, ('old', 'new', 'first'))]


class _FlakyDatabase:
    """The real db.api, except that the first merges fail the way a
    database that went away does."""

    def __init__(self, db, failures):
        self._db = db
        self.failures = failures

    def rollups_upsert(self, *args, **kwargs):
        if self.failures:
            self.failures -= 1
            raise sa_exc.OperationalError('INSERT', {}, Exception('gone'))
        return self._db.rollups_upsert(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._db, name)


def test_slots_not_stored_are_polled_again_and_counted_once(conf, db,
                                                            context, agent):
    targets = ['p', 'q', 'r']
    source = _History(conf, targets)
    flaky = _FlakyDatabase(db, failures=2)
    one = agent('one', source, database=flaky)
    one.poll_once(now=5000 * INTERVAL)
    one.poll_once(now=5001 * INTERVAL)
    assert _counts(db, context, targets) == collections.Counter()
    # no watermark yet: the store failed from the first poll on; the
    # samples are not kept in memory but polled again from the watermark
    assert db.poll_watermarks_get(context, 'history', targets) == {}
    assert one._unstored == {}
    one.poll_once(now=5002 * INTERVAL)
    assert _counts(db, context, targets) == _expected(targets, 5002, 5002)
    flaky.failures = 1
    one.poll_once(now=5003 * INTERVAL)
    one.poll_once(now=5004 * INTERVAL)
    assert [slot for slot, _ in source.polls][-3:] == [5003, 5003, 5004]
    assert _counts(db, context, targets) == _expected(targets, 5002, 5004)


def test_a_collector_without_history_polls_the_present_only(conf, db,
                                                             context, agent):
    source = _Present(conf, ['m'])
    one = agent('one', source)
    one.poll_once(now=6000 * INTERVAL)
    one.poll_once(now=6005 * INTERVAL)
    assert source.polls == [(6000, ('m',)), (6005, ('m',))]
    assert db.poll_watermark_list(context) == []
