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
"""Hours priced with the resources in force then, not today's."""

import datetime

import pandas as pd
import pytest

from kcloud_analyzer.common import context as k_context
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.cost_model import realtime
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import costs
from kcloud_analyzer.jobs import frames

T0 = datetime.datetime(2026, 3, 2)
HOUR = datetime.timedelta(hours=1)
BIG = {'cpu_cores': 16, 'memory_gb': 64, 'gpu_count': 2}
SMALL = {'cpu_cores': 4, 'memory_gb': 16, 'gpu_count': 1}
#: resized ten minutes into hour 24
RESIZED = T0 + 24 * HOUR + datetime.timedelta(minutes=10)


@pytest.fixture
def resized(card_store):
    store = card_store
    context = k_context.get_admin_context()
    for resources, at in ((BIG, T0 - HOUR), (SMALL, RESIZED)):
        db_api.workload_upsert(context, {
            'workload_id': 'vm', 'project_id': 'p1',
            'declared_type': 'inference', 'resources': resources,
            'accelerator': 'A100', db_api.RESOURCES_CHANGED_AT: at})
    db_api.rollups_upsert(context, [{
        'workload_id': 'vm', 'metric': metric,
        'window_start': T0 + step * datetime.timedelta(minutes=5),
        'mean': value, 'min': value, 'max': value, 'count': 1}
        for step in range(48 * 12)
        for metric, value in (('cpu_utilization', 30.0 + step % 7),
                              ('gpu_utilization', 80.0 - step % 11),
                              ('accelerator_power_watts',
                               250.0 + step % 13))])
    return store, context


def _expected(context, conf, resources):
    """Both bases of every hour priced with ``resources`` throughout."""
    workloads, usage = frames.from_store(context)
    for key, value in resources.items():
        workloads[key] = value
    card = ratecard.load_rate_card(conf.cost_model.rate_card_file)
    rows = realtime.cost_record_rows(
        realtime.compute_costs(workloads, usage, card))
    return {(r['hour'], r['basis']): r for r in rows}


def _stored(context):
    return {(r['hour'], r['basis']): r
            for r in db_api.cost_record_list(context, 'vm')}


def _same(stored, expected):
    for key in ('compute', 'gpu', 'idle', 'energy', 'total', 'energy_kwh'):
        assert float(stored[key]) == pytest.approx(float(expected[key]),
                                                   rel=0, abs=1e-6)


def test_the_store_notes_each_change_of_resources(resized):
    conf, context = resized
    # the same resources again note nothing
    db_api.workload_upsert(context, {
        'workload_id': 'vm', 'resources': SMALL, 'accelerator': 'A100'})
    db_api.workload_upsert(context, {
        'workload_id': 'once', 'project_id': 'p1', 'resources': BIG})
    found = db_api.resource_changes(context, ['vm', 'once', 'absent'])
    assert list(found) == ['vm']
    assert [(at, r, a) for at, r, a in found['vm']] == [
        (T0 - HOUR, BIG, 'A100'), (RESIZED, SMALL, 'A100')]


@pytest.mark.parametrize('run', ['hourly', 'reprocess'])
def test_hours_are_priced_with_the_resources_in_force_then(resized, run):
    conf, context = resized
    old = _expected(context, conf, BIG)
    new = _expected(context, conf, SMALL)
    if run == 'hourly':
        costs.update_costs(conf, context, now=T0 + 48 * HOUR,
                           recommend=False)
    else:
        result = costs.reprocess_costs(conf, context, T0, T0 + 48 * HOUR)
        assert result['records_written'] == 2 * 48
    stored = _stored(context)
    assert len(stored) == 2 * 48
    for hour in range(48):
        at = T0 + hour * HOUR
        # an hour takes the resources in force at its end: the resize at
        # 24:10 prices hour 24 on the small flavor, hour 23 on the big one
        expected = old if at + HOUR <= RESIZED else new
        for basis in ('allocation', 'usage'):
            _same(stored[(at, basis)], expected[(at, basis)])
    assert float(stored[(T0 + 23 * HOUR, 'allocation')]['total']) > float(
        stored[(T0 + 24 * HOUR, 'allocation')]['total'])


def test_a_workload_without_history_is_priced_with_its_resources(
        card_store):
    context = k_context.get_admin_context()
    card = card_store.cost_model.rate_card_file
    db_api.workload_upsert(context, {
        'workload_id': 'vm', 'project_id': 'p1', 'resources': BIG,
        'declared_type': 'inference', 'accelerator': 'A100'})
    db_api.rollups_upsert(context, [{
        'workload_id': 'vm', 'metric': 'cpu_utilization',
        'window_start': T0 + step * datetime.timedelta(minutes=5),
        'mean': 50.0, 'min': 50.0, 'max': 50.0, 'count': 1}
        for step in range(24)])
    workloads, usage = frames.from_store(context)
    priced = realtime.compute_costs(
        workloads, usage, ratecard.load_rate_card(card))
    again = costs.in_force(context, workloads, usage,
                           ratecard.load_rate_card(card), priced)
    pd.testing.assert_frame_equal(again, priced)
