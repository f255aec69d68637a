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
"""db.api behaviour, written once and run on SQLite here and on
PostgreSQL and MySQL in tests/functional/db."""

import datetime
import decimal
import random

import pandas as pd
import pytest

from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import exception
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db.api import rollups
from kcloud_analyzer.db.api import utils as db_api_utils
from kcloud_analyzer.db import models

T0 = datetime.datetime(2026, 11, 1, 10, 0)
FIVE_MIN = datetime.timedelta(minutes=5)


class DbApiChecks:
    """Mixed into a test class whose fixture points db.api at a database
    (the ``database`` fixture)."""

    @pytest.fixture
    def ctx(self, database):
        return kcontext.get_admin_context()

    def _workload(self, ctx, workload_id='w1', project_id='p1', **values):
        values = dict({'workload_id': workload_id, 'project_id': project_id,
                       'resources': {'cpu_cores': 8, 'gpu_count': 2}},
                      **values)
        return db_api.workload_upsert(ctx, values)

    def test_workload_upsert_and_get(self, ctx):
        created = self._workload(ctx, instances=['i-1', 'i-2'],
                                 declared_type='training')
        assert created['resources'] == {'cpu_cores': 8, 'gpu_count': 2}
        assert created['instances'] == ['i-1', 'i-2']
        updated = db_api.workload_upsert(ctx, {
            'workload_id': 'w1', 'classified_type': 'training',
            'confidence': 0.9})
        assert updated['declared_type'] == 'training'
        assert updated['classified_type'] == 'training'
        assert db_api.workload_get_by_instance(ctx, 'i-2')['workload_id'] \
            == 'w1'

    def test_workload_get_respects_project(self, ctx):
        self._workload(ctx)
        assert db_api.workload_get(ctx, 'w1', project_id='p1')
        with pytest.raises(exception.WorkloadNotFound):
            db_api.workload_get(ctx, 'w1', project_id='p2')
        with pytest.raises(exception.WorkloadNotFound):
            db_api.workload_get(ctx, 'nope')

    def test_workload_create_conflict(self, ctx):
        db_api.workload_create(ctx, {'workload_id': 'w1', 'project_id': 'p',
                                     'resources': {}})
        with pytest.raises(exception.WorkloadExists):
            db_api.workload_create(ctx, {'workload_id': 'w1',
                                         'project_id': 'p', 'resources': {}})

    def test_workload_list_pages_and_filters(self, ctx):
        for i in range(5):
            self._workload(ctx, 'w%d' % i, 'p%d' % (i % 2),
                           instances=['i-%d' % i])
        first = db_api.workload_list(ctx, limit=2)
        assert [w['workload_id'] for w in first] == ['w0', 'w1']
        rest = db_api.workload_list(ctx, marker='w1')
        assert [w['workload_id'] for w in rest] == ['w2', 'w3', 'w4']
        assert [w['workload_id'] for w in
                db_api.workload_list(ctx, project_id='p1')] == ['w1', 'w3']
        assert rest[0]['instances'] == ['i-2']
        with pytest.raises(exception.Invalid):
            db_api.workload_list(ctx, marker='missing')

    def test_workload_list_by_declared_type(self, ctx):
        self._workload(ctx, 'w0', declared_type='training')
        self._workload(ctx, 'w1', declared_type='serving')
        self._workload(ctx, 'w2', declared_type='batch')
        # classified, not declared: not listed
        self._workload(ctx, 'w3', classified_type='training')
        self._workload(ctx, 'w4')
        listed = db_api.workload_list(
            ctx, declared_types=('training', 'serving', 'inference'))
        assert [w['workload_id'] for w in listed] == ['w0', 'w1']
        assert db_api.workload_list(ctx, declared_types=()) == []
        assert len(db_api.workload_list(ctx)) == 5

    def test_last_instance_deleted_ends_workload(self, ctx):
        self._workload(ctx, instances=['i-1', 'i-2'])
        assert db_api.workload_delete_instance(ctx, 'i-1')['status'] == \
            'active'
        ended = db_api.workload_delete_instance(ctx, 'i-2')
        assert ended['status'] == 'deleted'
        assert ended['ended_at'] is not None
        assert ended['instances'] == []

    def test_instances_are_found_by_their_ports(self, ctx):
        self._workload(ctx, 'w1', 'p1', instances=['i-1', 'i-2'])
        self._workload(ctx, 'w2', 'p2', instances=['i-3'])
        db_api.instance_update(ctx, 'i-1', {'records': {
            'ports': ['port-a', 'port-b']}})
        db_api.instance_update(ctx, 'i-2', {'records': {'ports': []}})
        db_api.instance_update(ctx, 'i-3', {'records': {'ports': ['port-c']}})

        def found(project_id, ports=(), instances=()):
            return [i['instance_id'] for i in db_api.instances_on_ports(
                ctx, project_id, port_ids=ports, instance_ids=instances)]

        assert found('p1', ['port-b']) == ['i-1']
        assert found(None, ['port-b', 'port-c', None]) == ['i-1', 'i-3']
        assert found('p2', ['port-b']) == []
        assert found('p1', ['port-x'], ['i-2']) == ['i-2']
        assert found(None, [None], [None]) == []
        # an update naming other ports replaces the old ones
        db_api.instance_update(ctx, 'i-1', {'records': {'ports': ['port-d']}})
        assert found(None, ['port-a', 'port-b']) == []
        assert found(None, ['port-d']) == ['i-1']
        # an update without records keeps them; a deleted instance has none
        db_api.instance_update(ctx, 'i-1', {'flavor': {'vcpus': 2}})
        assert found('p1', ['port-d']) == ['i-1']
        db_api.workload_delete_instance(ctx, 'i-1')
        assert found(None, ['port-d']) == []
        assert found(None, (), ['i-1']) == []

    def test_rollups_merge_on_the_same_window(self, ctx):
        row = {'workload_id': 'w1', 'metric': 'gpu_utilization',
               'window_start': T0, 'mean': 10.0, 'min': 5.0, 'max': 20.0,
               'count': 2}
        db_api.rollups_upsert(
            ctx, [row, dict(row, window_start=T0 + FIVE_MIN)])
        db_api.rollups_upsert(ctx, [dict(row, mean=40.0, min=1.0, max=50.0,
                                         count=6)])
        rows = db_api.rollup_list(ctx, workload_id='w1')
        assert len(rows) == 2
        merged = rows[0]
        assert merged['count'] == 8
        assert merged['mean'] == pytest.approx((10 * 2 + 40 * 6) / 8)
        assert merged['min'] == 1.0
        assert merged['max'] == 50.0
        assert rows[1]['count'] == 2

    def test_rollups_bulk_insert_over_several_batches(self, ctx):
        rows = [{'workload_id': 'w%d' % (i % 7), 'metric': 'cpu_utilization',
                 'window_start': T0 + i * FIVE_MIN, 'mean': float(i),
                 'min': float(i), 'max': float(i), 'count': 1}
                for i in range(2500)]
        db_api.rollups_upsert(ctx, rows)
        db_api.rollups_upsert(ctx, rows)
        stored = db_api.rollup_list(ctx, metric='cpu_utilization')
        assert len(stored) == 2500
        assert {r['count'] for r in stored} == {2}
        assert sum(r['mean'] for r in stored) == pytest.approx(
            sum(range(2500)))

    def test_bulk_merge_equals_the_row_by_row_upsert(self, ctx):
        """The database's bulk path (COPY into a staging table then one
        merge; multi-row statements) stores and merges exactly what the
        dialect's upsert executed row by row does."""
        rng = random.Random(13)
        names = ['w,1', 'w"2', "w'3", 'w\u00e94', 'w\\5', 'w 6;--']
        keys = [(w, metric, T0 + k * FIVE_MIN) for w in names
                for metric in ('gpu_utilization', 'power_watts')
                for k in range(3)]

        def rows(prefix, keys, seed):
            rng.seed(seed)
            result = []
            for workload, metric, start in keys:
                low, high = sorted(rng.uniform(0, 100) for _ in range(2))
                result.append({'workload_id': prefix + workload,
                               'metric': metric, 'window_start': start,
                               'mean': rng.uniform(low, high), 'min': low,
                               'max': high, 'count': rng.randint(1, 40)})
            return result

        later = keys[::2] + [(w, 'cpu_utilization', T0) for w in names]
        batches = [rows('', keys, 1), rows('', later, 2)]
        # the bulk path, given a frame then dicts
        db_api.rollups_upsert(ctx, pd.DataFrame(batches[0]))
        db_api.rollups_upsert(ctx, batches[1])
        # the row-by-row upsert, on other workload ids
        for batch in batches:
            with db_api.main_context_manager.writer.using(ctx) as session:
                rollups._merge_generic(session, rollups._rollup_frame(
                    [dict(r, workload_id='g' + r['workload_id'])
                     for r in batch]), db_api.utils.utcnow())
        stored = {(r['workload_id'], r['metric'], r['window_start']):
                  (r['mean'], r['min'], r['max'], r['count'])
                  for r in db_api.rollup_list(ctx)}
        assert len(stored) == 2 * (len(keys) + len(names))
        for workload, metric, start in keys + later[len(keys[::2]):]:
            assert stored[(workload, metric, start)] == \
                stored[('g' + workload, metric, start)]
        first = {(r['workload_id'], r['metric'], r['window_start']): r
                 for r in batches[0]}
        for row in batches[1][:len(keys[::2])]:
            old = first[(row['workload_id'], row['metric'],
                         row['window_start'])]
            mean, low, high, count = stored[(
                row['workload_id'], row['metric'], row['window_start'])]
            assert count == old['count'] + row['count']
            assert mean == pytest.approx(
                (old['mean'] * old['count'] + row['mean'] * row['count'])
                / count, rel=1e-12)
            assert low == min(old['min'], row['min'])
            assert high == max(old['max'], row['max'])

    def test_measured_values_keep_double_precision(self, ctx):
        """A sample's value reads back as it was sent, on every database
        (MySQL's plain FLOAT would keep about seven digits)."""
        values = [123456789.123456, 1e-9 + 0.1, 4.0e15 + 3.0, 299.987654321]
        db_api.rollups_upsert(ctx, [
            {'workload_id': 'p%d' % i, 'metric': 'network_rx_bytes',
             'window_start': T0, 'mean': v, 'min': v, 'max': v, 'count': 1}
            for i, v in enumerate(values)])
        stored = {r['workload_id']: (r['mean'], r['min'], r['max'])
                  for r in db_api.rollup_list(ctx)}
        assert stored == {'p%d' % i: (v, v, v)
                          for i, v in enumerate(values)}

    def test_message_ids_are_claimed_once(self, ctx):
        row = {'workload_id': 'w1', 'metric': 'power_watts',
               'window_start': T0, 'mean': 10.0, 'min': 10.0, 'max': 10.0,
               'count': 1}
        first = db_api.rollups_upsert(ctx, [row], message_ids=['m1', 'm2'])
        assert first == {'m1', 'm2'}
        # m2 is a redelivery: the whole write is refused, m3 included.
        with pytest.raises(exception.MessagesAlreadyRecorded):
            db_api.rollups_upsert(ctx, [row], message_ids=['m2', 'm3'])
        assert db_api.message_ids_seen(ctx, ['m1', 'm3', 'm4']) == {'m1'}
        [stored] = db_api.rollup_list(ctx, workload_id='w1')
        assert stored['count'] == 1

    def test_rollup_list_filters_and_pages(self, ctx):
        self._workload(ctx, 'a', 'pa')
        self._workload(ctx, 'b', 'pb')
        rows = [{'workload_id': w, 'metric': 'power_watts',
                 'window_start': T0 + i * FIVE_MIN, 'mean': 1.0, 'min': 1.0,
                 'max': 1.0, 'count': 1}
                for w in ('a', 'b') for i in range(4)]
        db_api.rollups_upsert(ctx, rows)
        own = db_api.rollup_list(ctx, project_id='pa')
        assert {r['workload_id'] for r in own} == {'a'}
        window = db_api.rollup_list(ctx, workload_id='a', start=T0 + FIVE_MIN,
                                    end=T0 + 3 * FIVE_MIN)
        assert [r['window_start'] for r in window] == [
            T0 + FIVE_MIN, T0 + 2 * FIVE_MIN]
        page = db_api.rollup_list(ctx, limit=3)
        nxt = db_api.rollup_list(ctx, limit=10, marker=page[-1]['id'])
        assert len(page) + len(nxt) == 8
        assert not {r['id'] for r in page} & {r['id'] for r in nxt}

    def test_rollups_purge(self, ctx):
        rows = [{'workload_id': 'w', 'metric': 'power_watts',
                 'window_start': T0 + i * FIVE_MIN, 'mean': 1.0, 'min': 1.0,
                 'max': 1.0, 'count': 1} for i in range(6)]
        db_api.rollups_upsert(ctx, rows)
        assert db_api.rollups_purge(ctx, T0 + 2 * FIVE_MIN) == 2
        assert len(db_api.rollup_list(ctx)) == 4

    def test_poll_watermarks_never_move_back(self, ctx):
        db_api.poll_watermarks_set(ctx, 'c', ['t', 'u'], 10, polled_by='a')
        db_api.poll_watermarks_set(ctx, 'c', ['t'], 7, polled_by='late')
        db_api.poll_watermarks_set(ctx, 'c', ['u'], 2 ** 40, polled_by='b')
        marks = {m['target']: (m['slot'], m['polled_by'])
                 for m in db_api.poll_watermark_list(ctx, 'c')}
        assert marks == {'t': (10, 'a'), 'u': (2 ** 40, 'b')}
        assert db_api.poll_watermarks_get(ctx, 'c', ['t', 'v']) == {
            't': 10}
        assert db_api.poll_watermarks_get(ctx, 'other', ['t']) == {}
        # a target nobody polled within the retention goes with the purge
        db_api.rollups_purge(ctx, db_api_utils.utcnow() +
                             datetime.timedelta(seconds=1))
        assert db_api.poll_watermark_list(ctx) == []

    def test_rollups_downsample_to_hours(self, ctx):
        rng = random.Random(7)
        hour = datetime.timedelta(hours=1)
        rows = [{'workload_id': w, 'metric': m,
                 'window_start': T0 + i * FIVE_MIN,
                 'mean': rng.uniform(0, 100), 'min': rng.uniform(-5, 0),
                 'max': rng.uniform(100, 105), 'count': rng.randint(1, 10)}
                for w in ('w1', 'w2')
                for m in ('power_watts', 'gpu_utilization')
                for i in range(36) if (w, i) != ('w2', 12)]
        # an hour of one window not at its start
        rows.append({'workload_id': 'w3', 'metric': 'power_watts',
                     'window_start': T0 + 10 * FIVE_MIN, 'mean': 3.0,
                     'min': 1.0, 'max': 4.0, 'count': 2})
        db_api.rollups_upsert(ctx, rows)
        before = db_api.rollup_list(ctx)

        def hourly(stored, end):
            cells = {}
            for r in stored:
                if r['window_start'] >= end:
                    continue
                key = (r['workload_id'], r['metric'],
                       r['window_start'].replace(minute=0))
                cell = cells.setdefault(key, [0.0, 0, 1e9, -1e9])
                cell[0] += r['mean'] * r['count']
                cell[1] += r['count']
                cell[2] = min(cell[2], r['min'])
                cell[3] = max(cell[3], r['max'])
            return cells

        cut = T0 + 2 * hour + 7 * FIVE_MIN   # taken down to T0 + 2 h
        expected = hourly(before, T0 + 2 * hour)
        hours, replaced = db_api.rollups_downsample(ctx, cut)
        assert hours == len(expected) == 2 * 2 * 2 + 1
        assert replaced == 2 * 2 * 24 - 2 + 1
        after = db_api.rollup_list(ctx)
        old = [r for r in after if r['window_start'] < T0 + 2 * hour]
        assert len(old) == len(expected)
        for r in old:
            total, count, low, high = expected[
                (r['workload_id'], r['metric'], r['window_start'])]
            assert r['window_start'].minute == 0
            assert r['count'] == count
            assert r['mean'] * r['count'] == pytest.approx(total)
            assert (r['min'], r['max']) == (low, high)
        # The newer windows are untouched.
        newer = [r for r in before if r['window_start'] >= T0 + 2 * hour]
        assert sorted((r['workload_id'], r['metric'], r['window_start'],
                       r['mean'], r['count']) for r in newer) == sorted(
            (r['workload_id'], r['metric'], r['window_start'], r['mean'],
             r['count']) for r in after if r['window_start'] >= T0 + 2 * hour)
        # The windows keep their last change: an exporter sends nothing.
        assert db_api.rollups_updated_since(
            ctx, max(r['updated_at'] for r in before) +
            datetime.timedelta(microseconds=1)) == []
        # Reads by window bounds see the hourly rows.
        assert len(db_api.rollup_list(ctx, start=T0, end=T0 + hour)) == 5
        # Idempotent: a second run finds nothing to do.
        assert db_api.rollups_downsample(ctx, cut) == (0, 0)
        assert db_api.rollup_list(ctx) == after

    def _cost(self, workload, project, hour, total, **extra):
        return dict({'workload_id': workload, 'project_id': project,
                     'hour': hour, 'basis': 'allocation', 'currency': 'USD',
                     'workload_type': 'training', 'accelerator': 'A100',
                     'compute': decimal.Decimal('1.5'),
                     'gpu': decimal.Decimal(total) - decimal.Decimal('1.5'),
                     'npu': 0, 'storage': 0, 'network': 0, 'energy': 0,
                     'idle': 0, 'total': decimal.Decimal(total),
                     'energy_kwh': 2.0, 'carbon_kg': 0.5}, **extra)

    def test_cost_records_replace_and_summarise(self, ctx):
        hour = datetime.timedelta(hours=1)
        rows = [self._cost('w1', 'p1', T0 + i * hour, '4.5')
                for i in range(30)]
        rows += [self._cost('w2', 'p2', T0 + i * hour, '2.0',
                            workload_type='serving') for i in range(30)]
        db_api.cost_records_upsert(ctx, rows)
        db_api.cost_records_upsert(ctx, [self._cost('w1', 'p1', T0, '10.5')])
        records = db_api.cost_record_list(ctx, 'w1', start=T0,
                                          end=T0 + 2 * hour)
        assert [r['total'] for r in records] == [decimal.Decimal('10.5'),
                                                 decimal.Decimal('4.5')]
        by_project = db_api.cost_summary(ctx, 'project', 'day')
        days = {(r['group'], r['period_start']): r for r in by_project}
        first_day = days[('p1', datetime.datetime(2026, 11, 1))]
        assert first_day['hours'] == 14
        assert first_day['total'] == decimal.Decimal('10.5') + 13 * \
            decimal.Decimal('4.5')
        assert first_day['energy_kwh'] == pytest.approx(28.0)
        by_type = db_api.cost_summary(ctx, 'type', 'month', project_id='p2')
        assert [(r['group'], r['total']) for r in by_type] == [
            ('serving', decimal.Decimal('60.0'))]
        assert db_api.cost_records_latest_hour(ctx) == T0 + 29 * hour
        with pytest.raises(exception.Invalid):
            db_api.cost_summary(ctx, 'flavor', 'day')

    def test_cost_reads_from_totals_equal_the_hourly_sums(self, ctx):
        """Every window, aligned or not, inside a month or across several,
        sums to what the hourly records hold, also after a correction to a
        past hour."""
        hour = datetime.timedelta(hours=1)
        start = datetime.datetime(2026, 1, 30, 17)
        rng = random.Random(7)
        for workload, project in (('w1', 'p1'), ('w2', 'p1'), ('w3', 'p2')):
            self._workload(ctx, workload, project)
        rows = []
        for i in range(24 * 45):
            for workload, project in (('w1', 'p1'), ('w2', 'p1'),
                                      ('w3', 'p2')):
                if rng.random() < 0.1:
                    continue
                total = '%.6f' % rng.uniform(1.5, 9)
                rows.append(self._cost(
                    workload, project, start + i * hour, total,
                    workload_type=rng.choice(('training', 'serving'))))
        db_api.cost_records_upsert(ctx, rows)
        corrected = self._cost('w1', 'p1', start + 30 * hour, '123.25')
        db_api.cost_records_upsert(ctx, [corrected])
        by_key = {(r['workload_id'], r['hour']): r for r in rows}
        by_key[('w1', corrected['hour'])] = corrected

        def expected(workload, lo, hi):
            picked = [r for (w, h), r in by_key.items() if w == workload
                      and (lo is None or h >= lo) and (hi is None or h < hi)]
            return (sum(decimal.Decimal(r['total']) for r in picked),
                    len(picked))

        end = start + 24 * 45 * hour
        windows = [(None, None), (start, end), (None, start + 40 * hour),
                   (start + 5 * hour, None)]
        for _ in range(8):
            lo = start + rng.randrange(24 * 45) * hour + \
                datetime.timedelta(minutes=rng.choice((0, 0, 30)))
            hi = lo + rng.randrange(1, 24 * 40) * hour
            windows.append((lo, hi))
        for lo, hi in windows:
            for workload in ('w1', 'w3'):
                cost = db_api.workload_cost(ctx, workload, start=lo, end=hi)
                total, hours = expected(workload, lo, hi)
                assert cost['hours'] == hours, (workload, lo, hi)
                assert (cost['total'] or 0) == total, (workload, lo, hi)
                if hours:
                    assert cost['latest']['hour'] == cost['last_hour']
        for period in ('day', 'month'):
            lo, hi = start + 7 * hour, start + 24 * 40 * hour
            summary = db_api.cost_summary(ctx, 'project', period,
                                          start=lo, end=hi)
            assert sum(r['total'] for r in summary
                       if r['group'] == 'p1') == (
                expected('w1', lo, hi)[0] + expected('w2', lo, hi)[0])
            assert sum(r['hours'] for r in summary
                       if r['group'] == 'p2') == expected('w3', lo, hi)[1]
            by_workload = db_api.cost_summary(ctx, 'workload', period,
                                              start=lo, end=hi,
                                              project_id='p1')
            assert {r['group'] for r in by_workload} == {'w1', 'w2'}
        days = db_api.cost_summary(ctx, 'workload', 'day', start=start,
                                   end=end, project_id='p2')
        assert len(days) == 46
        assert days[0]['period_start'] == datetime.datetime(2026, 1, 30)
        with pytest.raises(exception.WorkloadNotFound):
            db_api.workload_cost(ctx, 'nope')

    def test_cost_summary_by_type_and_accelerator_equal_the_hourly_sums(
            self, ctx):
        """Summaries grouped by type, accelerator or project, read from the
        totals per project and group, sum what the hourly records hold
        over windows that start and end mid-month and mid-day, at every
        period, also after a workload's records change type (its old
        group goes away)."""
        hour = datetime.timedelta(hours=1)
        start = datetime.datetime(2026, 1, 20, 5)
        rng = random.Random(11)
        fleet = {'w1': ('p1', 'training', 'A100'),
                 'w2': ('p1', 'serving', None),
                 'w3': ('p2', 'inference', 'H100'),
                 'w4': ('p2', 'training', 'A100'),
                 'w5': ('p3', None, 'L40S')}
        by_key = {}

        def write(workload, workload_type, hours):
            project, _, accelerator = fleet[workload]
            rows = []
            for i in hours:
                total = '%.6f' % rng.uniform(1.5, 9)
                rows.append(self._cost(
                    workload, project, start + i * hour, total,
                    workload_type=workload_type, accelerator=accelerator,
                    energy_kwh=rng.uniform(0, 3), carbon_kg=rng.uniform(0, 1),
                    estimated_kwh=rng.choice((None, 0.25))))
            db_api.cost_records_upsert(ctx, rows)
            by_key.update(((r['workload_id'], r['hour']), r) for r in rows)

        for workload, (project, workload_type, _) in fleet.items():
            self._workload(ctx, workload, project)
            write(workload, workload_type,
                  [i for i in range(24 * 50) if rng.random() > 0.1])

        def floor(moment, period):
            if period == 'hour':
                return moment
            day = moment.replace(hour=0, minute=0)
            return day if period == 'day' else day.replace(day=1)

        def expected(group_by, period, lo, hi, project_id=None):
            column = {'type': 'workload_type', 'accelerator': 'accelerator',
                      'project': 'project_id'}[group_by]
            sums = {}
            for r in by_key.values():
                if not lo <= r['hour'] < hi or project_id not in (
                        None, r['project_id']):
                    continue
                into = sums.setdefault(
                    (r[column], floor(r['hour'], period)),
                    {'total': 0, 'gpu': 0, 'energy_kwh': 0.0,
                     'estimated_kwh': None, 'hours': 0})
                into['total'] += decimal.Decimal(r['total'])
                into['gpu'] += decimal.Decimal(r['gpu'])
                into['energy_kwh'] += r['energy_kwh']
                if r['estimated_kwh'] is not None:
                    into['estimated_kwh'] = (into['estimated_kwh'] or 0) + \
                        r['estimated_kwh']
                into['hours'] += 1
            return sums

        def check(group_by, period, lo, hi, project_id=None):
            got = db_api.cost_summary(ctx, group_by, period, start=lo,
                                      end=hi, project_id=project_id)
            want = expected(group_by, period, lo, hi, project_id)
            assert sorted(want, key=lambda k: (k[1], k[0] is not None,
                                               k[0] or '')) == [
                (r['group'], r['period_start']) for r in got]
            for r in got:
                sums = want[(r['group'], r['period_start'])]
                assert r['total'] == sums['total']
                assert r['gpu'] == sums['gpu']
                assert r['hours'] == sums['hours']
                assert r['currency'] == 'USD'
                assert r['energy_kwh'] == pytest.approx(
                    sums['energy_kwh'], rel=1e-12)
                if sums['estimated_kwh'] is None:
                    assert r['estimated_kwh'] is None
                else:
                    assert r['estimated_kwh'] == pytest.approx(
                        sums['estimated_kwh'], rel=1e-12)
            return got

        windows = [
            # mid-day in January to mid-day in March
            (start + 7 * hour, start + (24 * 40 + 13) * hour),
            # whole days, across the month boundary
            (datetime.datetime(2026, 1, 25), datetime.datetime(2026, 2, 3)),
            # a whole month with a partial day at either side
            (datetime.datetime(2026, 1, 31, 22),
             datetime.datetime(2026, 3, 1, 2)),
            # inside one day
            (datetime.datetime(2026, 2, 10, 3),
             datetime.datetime(2026, 2, 10, 9)),
        ]
        for lo, hi in windows:
            for group_by in ('type', 'accelerator', 'project'):
                for period in ('hour', 'day', 'month'):
                    check(group_by, period, lo, hi)
                    check(group_by, period, lo, hi, project_id='p2')
        # w1, p1's only training workload, becomes serving.
        write('w1', 'serving', sorted(
            i for (w, moment), _ in by_key.items() if w == 'w1'
            for i in [int((moment - start) / hour)]))
        for period in ('hour', 'day', 'month'):
            got = check('type', period, *windows[0])
            assert 'training' in {r['group'] for r in got}
            got = check('type', period, *windows[0], project_id='p1')
            assert {r['group'] for r in got} == {'serving'}

    def test_cost_totals_rebuild(self, ctx):
        hour = datetime.timedelta(hours=1)
        self._workload(ctx)
        db_api.cost_records_upsert(ctx, [
            self._cost('w1', 'p1', T0 + i * hour, '2.5') for i in range(50)])
        with db_api.main_context_manager.writer.using(ctx) as session:
            session.query(models.CostTotal).delete()
        assert db_api.workload_cost(ctx, 'w1')['hours'] == 0
        assert db_api.cost_totals_rebuild(ctx) == 1
        cost = db_api.workload_cost(ctx, 'w1')
        assert cost['total'] == decimal.Decimal('125.0')
        assert cost['hours'] == 50

    def test_model_versions(self, ctx):
        assert db_api.model_version_next(ctx, 'random_forest') == 1
        values = {'name': 'random_forest', 'version': 1, 'trained_at': T0,
                  'metrics': {'accuracy': 0.9}, 'file': 'rf-1.skops',
                  'data': {'sources': ['zeus']}}
        db_api.model_version_create(ctx, values)
        db_api.model_version_create(ctx, dict(values, version=2))
        with pytest.raises(exception.ModelVersionExists):
            db_api.model_version_create(ctx, values)
        latest = db_api.model_version_get_latest(ctx, 'random_forest')
        assert latest['version'] == 2
        assert latest['metrics'] == {'accuracy': 0.9}
        assert db_api.model_version_next(ctx, 'random_forest') == 3
        assert db_api.model_version_get_latest(ctx, 'other') is None

    def test_recommendations_replace(self, ctx):
        def rec(kind, saving, confidence=0.8):
            return {'project_id': 'p1', 'kind': kind, 'action': 'do it',
                    'monthly_saving': decimal.Decimal(saving),
                    'currency': 'USD', 'confidence': confidence,
                    'evidence': {'gpu_utilization_p95': 3.0}}
        db_api.recommendations_replace(ctx, 'w1', [rec('idle', '10')])
        db_api.recommendations_replace(ctx, 'w1', [
            rec('idle', '100'), rec('rightsize', '300'),
            rec('unsure', '1000', 0.2)])
        listed = db_api.recommendation_list(ctx, project_id='p1')
        # by expected saving: 300 x 0.8 > 1000 x 0.2 > 100 x 0.8
        assert [r['kind'] for r in listed] == ['rightsize', 'unsure', 'idle']
        assert listed[0]['evidence'] == {'gpu_utilization_p95': 3.0}

    def test_predictions(self, ctx):
        created = db_api.prediction_create(ctx, {
            'workload_id': 'w1', 'project_id': 'p1',
            'model_name': 'rate_card', 'inputs': {'gpu_count': 1},
            'currency': 'USD', 'duration_hours': 10,
            'cost_per_hour': decimal.Decimal('2.5'),
            'total': decimal.Decimal('25')})
        assert created['uuid']
        assert db_api.prediction_list(ctx, workload_id='w1')[0]['total'] == \
            decimal.Decimal('25')
