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
import decimal

import pytest

from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.cost_model import realtime
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import models
from kcloud_analyzer.jobs import costs
from kcloud_analyzer.jobs import frames
from tests.unit.jobs import conftest

HOURS = conftest.HOURS
IDS = ('t1', 't2', 'i1', 's1', 's2', 'c1')
START = conftest.START


def test_update_costs_prices_new_hours_and_stores_recommendations(
        cost_store):
    conf, context = cost_store
    now = START + datetime.timedelta(hours=24)
    written, found = costs.update_costs(conf, context, now=now)
    # 6 workloads x 24 hours, allocation and usage basis
    assert written == 6 * 24 * 2
    records = db_api.cost_record_list(context, 't1', basis='allocation')
    assert len(records) == 24
    assert records[-1]['hour'] == START + datetime.timedelta(hours=23)
    # t1: 8 vCPU x 0.05 + 64 GB x 0.01 + 4 A100 x 2.00 before energy
    assert records[0]['gpu'] == decimal.Decimal('8.00')
    assert records[0]['compute'] == pytest.approx(decimal.Decimal('1.04'))
    stored = db_api.recommendation_list(context)
    assert len(stored) == found
    assert all(r['currency'] == 'EUR' for r in stored)

    # The next run prices from the newest hour on, again included.
    later = START + datetime.timedelta(hours=HOURS)
    written, _ = costs.update_costs(conf, context, now=later)
    assert written == 6 * 25 * 2
    assert len(db_api.cost_record_list(context, 't1',
                                       basis='usage')) == HOURS


def test_resizes_offer_the_flavors_learned_from_nova(cost_store):
    conf, context = cost_store
    db_api.workload_upsert(context, {
        'workload_id': 'vm', 'project_id': 'p4', 'declared_type': 'serving',
        'instances': ['i-live', 'i-gone'],
        'resources': {'cpu_cores': 16, 'memory_gb': 64, 'gpu_count': 0,
                      'npu_count': 0}})
    # as the Nova endpoint stores them (flavor_resources)
    db_api.instance_update(context, 'i-live', {'flavor': {
        'name': 'm1.xlarge', 'cpu_cores': 16, 'memory_mb': 65536,
        'memory_gb': 64.0, 'gpu_count': 0, 'npu_count': 0,
        'accelerator': None}})
    db_api.instance_update(context, 'i-gone', {'flavor': {
        'name': 'learned.small', 'cpu_cores': 2, 'memory_mb': 8192,
        'memory_gb': 8.0, 'gpu_count': 0, 'npu_count': 0,
        'accelerator': None}})
    db_api.workload_delete_instance(context, 'i-gone')
    db_api.rollups_upsert(context, [{
        'workload_id': 'vm', 'metric': metric,
        'window_start': START + datetime.timedelta(hours=h),
        'mean': value, 'min': value, 'max': value, 'count': 1}
        for h in range(24)
        for metric, value in (('cpu_utilization', 5.0),
                              ('memory_utilization', 10.0))])
    costs.update_costs(conf, context,
                       now=START + datetime.timedelta(hours=24))
    (resize,) = [r for r in db_api.recommendation_list(
        context, workload_id='vm') if r['kind'] == 'oversized_compute']
    # 16 x 5 / 70 = 1.1 vCPU and 64 x 10 / 80 = 8 GB: the flavor seen on
    # the deleted instance (2 x 0.05 + 8 x 0.01) is cheaper than any listed
    assert resize['evidence']['recommended_flavor'] == 'learned.small'
    assert resize['evidence']['flavor'] == 'm1.xlarge'
    assert resize['monthly_saving'] == pytest.approx(
        decimal.Decimal(str(round((1.44 - 0.18) * 730, 6))))


def test_runs_that_price_only_the_new_hours_store_what_one_run_would(
        cost_store, monkeypatch):
    conf, context = cost_store
    reads = []
    usage_of = frames.usage_of

    def recorded(context, workloads, start=None, end=None):
        reads.append(start)
        return usage_of(context, workloads, start=start, end=end)

    monkeypatch.setattr(frames, 'usage_of', recorded)
    hour = datetime.timedelta(hours=1)
    costs.update_costs(conf, context, now=START + 24 * hour)
    assert reads == [START + 24 * hour - datetime.timedelta(
        days=costs.RECOMMENDATION_DAYS)]
    advised = len(db_api.recommendation_list(context))
    assert advised
    previous = START + 23 * hour
    for now in (START + 30 * hour, START + HOURS * hour):
        reads.clear()
        written, found = costs.update_costs(conf, context, now=now,
                                            recommend=False)
        assert found == 0
        # only from the hour before the newest priced one (priced again)
        assert reads == [previous - hour]
        previous = db_api.cost_records_latest_hour(context)
        assert previous == now - hour
    # the recommendations were left as they were
    assert len(db_api.recommendation_list(context)) == advised

    # the same records as one run over every hour
    card = ratecard.load_rate_card(conf.cost_model.rate_card_file)
    workloads, usage = frames.from_store(context, start=START,
                                         end=START + HOURS * hour)
    expected = realtime.cost_record_rows(
        realtime.compute_costs(workloads, usage, card))
    assert len(expected) == 6 * HOURS * 2
    assert sum(row['energy_kwh'] for row in expected) > 0
    by_key = {}
    for w in workloads['workload_id']:
        for r in db_api.cost_record_list(context, w):
            by_key[(w, r['hour'], r['basis'])] = r
    assert len(by_key) == len(expected)
    for row in expected:
        got = by_key[(row['workload_id'], row['hour'], row['basis'])]
        for line in ('total', 'gpu', 'compute', 'energy'):
            assert float(got[line]) == pytest.approx(
                float(row[line]), abs=1e-6), (
                row['workload_id'], row['hour'], line)
        assert got['energy_kwh'] == pytest.approx(row['energy_kwh'],
                                                  abs=1e-9)


def test_each_workload_is_priced_from_its_own_watermark(cost_store):
    conf, context = cost_store
    hour = datetime.timedelta(hours=1)
    owned = {'t1'}
    # one agent priced only its own workloads up to hour 24...
    costs.update_costs(conf, context, now=START + 24 * hour,
                       owns=owned.__contains__, recommend=False)
    assert db_api.cost_records_latest_hours(
        context, ['t1', 't2']) == {'t1': START + 23 * hour}
    # ...the next run, by whichever agent, prices every hour the others
    # missed, not only those after the newest priced hour of the fleet
    costs.update_costs(conf, context, now=START + 30 * hour,
                       recommend=False)
    assert len(db_api.cost_record_list(context, 't2',
                                       basis='allocation')) == 30
    assert len(db_api.cost_record_list(context, 't1',
                                       basis='allocation')) == 30


def test_parts_bound_the_rollups_read_together():
    assert frames.parts([3, 3, 3, 10, 1, 1], 6) == [0, 0, 1, 2, 3, 3]
    assert frames.parts([], 6) == []
    assert frames.parts([7], 6) == [0]


def test_pricing_in_parts_stores_what_one_part_would(cost_store,
                                                     monkeypatch):
    conf, context = cost_store
    now = START + datetime.timedelta(hours=HOURS)
    costs.update_costs(conf, context, now=now)
    whole = {(r['workload_id'], r['hour'], r['basis']): r['total']
             for w in IDS
             for r in db_api.cost_record_list(context, w)}
    advice = sorted((r['workload_id'], r['kind'], r['monthly_saving'])
                    for r in db_api.recommendation_list(context))
    reads = []
    usage_of = frames.usage_of

    def recorded(context, workloads, start=None, end=None):
        reads.append(len(workloads))
        return usage_of(context, workloads, start=start, end=end)

    monkeypatch.setattr(frames, 'usage_of', recorded)
    # at most one workload's rollups at a time
    monkeypatch.setattr(frames, 'BATCH_ROWS', 1)
    with db_api.main_context_manager.writer.using(context):
        context.session.query(models.CostRecord).delete()
        context.session.query(models.Recommendation).delete()
    costs.update_costs(conf, context, now=now)
    assert reads and max(reads) == 1 and len(reads) == 6
    assert {(r['workload_id'], r['hour'], r['basis']): r['total']
            for w in IDS
            for r in db_api.cost_record_list(context, w)} == whole
    assert sorted((r['workload_id'], r['kind'], r['monthly_saving'])
                  for r in db_api.recommendation_list(context)) == advice
