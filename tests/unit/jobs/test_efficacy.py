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
"""The realised saving of an applied recommendation, from cost records."""

import datetime
import decimal

import pytest

from kcloud_analyzer.common import context as k_context
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import costs
from kcloud_analyzer.jobs import efficacy
from kcloud_analyzer.metrics_collector import nova
from tests.unit.jobs import conftest

CHANGE = datetime.datetime(2026, 3, 2, 10, 15)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def context(store):
    """An admin context on the empty store of conftest's ``store``."""
    return k_context.get_admin_context()


def _records(context, workload_id, first, hours, total, kwh):
    db_api.cost_records_upsert(context, [{
        'workload_id': workload_id, 'project_id': 'p1',
        'hour': first + i * HOUR, 'basis': basis, 'currency': 'EUR',
        'workload_type': 'inference', 'accelerator': 'A100',
        'compute': total, 'gpu': 0, 'npu': 0, 'storage': 0, 'network': 0,
        'energy': 0, 'idle': 0, 'total': total, 'energy_kwh': kwh,
        'carbon_kg': 0} for i in range(hours)
        for basis in ('allocation', 'usage')])


def _advise(context, workload_id, kind, saving):
    db_api.workload_upsert(context, {'workload_id': workload_id,
                                     'project_id': 'p1'})
    db_api.recommendations_replace(context, workload_id, [{
        'project_id': 'p1', 'kind': kind, 'action': 'act',
        'monthly_saving': saving, 'currency': 'EUR', 'confidence': 0.9,
        'evidence': {}}])


def test_windows_leave_out_the_hour_of_the_change_and_the_one_before():
    before, after = efficacy.windows(CHANGE, hours=24)
    assert before == (datetime.datetime(2026, 3, 1, 9),
                      datetime.datetime(2026, 3, 2, 9))
    assert after == (datetime.datetime(2026, 3, 2, 11),
                     datetime.datetime(2026, 3, 3, 11))


def test_resize_realises_the_drop_in_cost_per_hour(context):
    _advise(context, 'w', 'oversized_compute', 1500.0)
    start = CHANGE.replace(minute=0) - 30 * HOUR
    _records(context, 'w', start, 30, 3.0, 0.5)          # before
    _records(context, 'w', CHANGE.replace(minute=0), 1, 99.0, 9.0)
    _records(context, 'w', CHANGE.replace(minute=0) + HOUR, 30, 1.0, 0.2)
    assert db_api.recommendations_apply(context, 'w', 'resize', CHANGE,
                                        ('oversized_compute',)) == 1
    # the window after is not over yet: nothing recorded
    assert efficacy.realise(context, now=CHANGE + 20 * HOUR) == 0
    [item] = db_api.recommendation_list(context, state='applied')
    assert item['realised_monthly_saving'] is None
    done = CHANGE.replace(minute=0) + 25 * HOUR
    assert efficacy.realise(context, now=done) == 1
    [item] = db_api.recommendation_list(context, state='applied')
    # (3.00 - 1.00) x 730 next to the promised 1,500; the hour of the
    # change (99 a hour) is in neither window
    assert item['realised_monthly_saving'] == decimal.Decimal('1460.000000')
    assert item['realised_monthly_kwh'] == pytest.approx((0.5 - 0.2) * 730)
    assert item['monthly_saving'] == decimal.Decimal('1500.000000')
    assert item['realised_at'] == done
    # recorded once
    assert efficacy.realise(context, now=done + 5 * HOUR) == 0


def test_a_deleted_workload_realises_all_it_cost(context):
    _advise(context, 'gone', 'idle_accelerator', 1606.0)
    _records(context, 'gone', CHANGE.replace(minute=0) - 25 * HOUR, 24,
             2.2, 0.3)
    db_api.recommendations_apply(context, 'gone', 'delete', CHANGE,
                                 ('idle_accelerator',))
    assert efficacy.realise(context, now=CHANGE + 48 * HOUR) == 1
    [item] = db_api.recommendation_list(context, state='applied')
    assert float(item['realised_monthly_saving']) == pytest.approx(
        2.2 * 730, abs=1e-6)
    assert item['realised_monthly_kwh'] == pytest.approx(0.3 * 730)
    assert db_api.recommendation_list(context, state='open') == []


class _Stats:
    def add(self, **counts):
        pass


def _flavor(name, vcpus, memory_mb):
    return {'nova_object.name': 'FlavorPayload', 'nova_object.data': {
        'name': name, 'vcpus': vcpus, 'memory_mb': memory_mb,
        'extra_specs': {}}}


def _nova(event_type, flavor, sent):
    return {'ctxt': {}, 'publisher_id': 'nova-compute', 'priority': 'INFO',
            'event_type': event_type,
            'payload': {'nova_object.data': {
                'uuid': 'i-vm', 'tenant_id': 'p9', 'display_name': 'vm',
                'metadata': {}, 'flavor': flavor}},
            'metadata': {'message_id': event_type, 'timestamp': str(sent)}}


def _usage(context, first, hours, cpu, memory):
    db_api.rollups_upsert(context, [{
        'workload_id': 'i-vm', 'metric': metric,
        'window_start': first + h * HOUR, 'mean': value, 'min': value,
        'max': value, 'count': 1}
        for h in range(hours)
        for metric, value in (('cpu_utilization', cpu),
                              ('memory_utilization', memory))])


def test_a_resize_advised_applied_and_realised(cost_store):
    """The agent's own path: the cost job advises a flavor, Nova resizes
    the instance to it, the cost job prices the new flavor and records
    what the resize realised next to what it promised."""
    conf, context = cost_store
    endpoint = nova.NovaInstanceEndpoint(context, db_api, _Stats())
    start = conftest.START
    endpoint.info([_nova('instance.create.end',
                         _flavor('m1.xlarge', 16, 65536), start)])
    _usage(context, start, 48, 5.0, 10.0)
    costs.update_costs(conf, context, now=start + 48 * HOUR)
    [advice] = db_api.recommendation_list(context, workload_id='i-vm',
                                          state='open')
    assert advice['kind'] == 'oversized_compute'
    target = advice['evidence']['recommended_flavor']
    assert target == 'c1.medium'

    # resized to the advised flavor ten minutes into the next hour; the
    # same work now keeps 4 vCPUs and 20 GB four and three times as busy
    changed = start + 48 * HOUR + datetime.timedelta(minutes=10)
    endpoint.info([_nova('instance.resize_finish.end',
                         _flavor(target, 4, 20480), changed)])
    [applied] = db_api.recommendation_list(context, workload_id='i-vm',
                                           state='applied')
    assert (applied['applied_change'], applied['applied_at']) == (
        'resize', changed)
    _usage(context, start + 48 * HOUR, 26, 20.0, 32.0)
    costs.update_costs(conf, context, now=start + 74 * HOUR)
    [applied] = db_api.recommendation_list(context, workload_id='i-vm',
                                           state='applied')
    # promised: (16 x 0.05 + 64 x 0.01 - the flavor's listed 0.30) x 730;
    # realised from the cost records, which price the resized instance's
    # 4 vCPUs and 20 GB at the unit prices (0.40 an hour), not at the
    # flavor's listed price. The hour before the change, which the second
    # run priced again on the new flavor, is left out.
    assert float(applied['monthly_saving']) == pytest.approx(
        (1.44 - 0.30) * 730)
    assert float(applied['realised_monthly_saving']) == pytest.approx(
        (1.44 - 0.40) * 730)
    assert applied['realised_monthly_kwh'] == 0.0


def test_the_cost_job_compares_the_configured_window(cost_store):
    conf, context = cost_store
    conf.set_override('efficacy_window', '6h', group='cost_model')
    assert efficacy.window_hours(conf.cost_model) == 6
    _advise(context, 'w', 'oversized_compute', 1500.0)
    hour = CHANGE.replace(minute=0)
    _records(context, 'w', hour - 7 * HOUR, 6, 3.0, 0.5)   # before
    _records(context, 'w', hour + HOUR, 6, 2.0, 0.1)       # after
    _records(context, 'w', hour + 7 * HOUR, 24, 9.0, 0.9)  # not compared
    db_api.recommendations_apply(context, 'w', 'resize', CHANGE,
                                 ('oversized_compute',))
    costs.update_costs(conf, context, now=hour + 6 * HOUR)
    [item] = db_api.recommendation_list(context, state='applied')
    assert item['realised_monthly_saving'] is None
    costs.update_costs(conf, context, now=hour + 7 * HOUR)
    [item] = db_api.recommendation_list(context, state='applied')
    assert float(item['realised_monthly_saving']) == pytest.approx(
        (3.0 - 2.0) * 730)
    assert item['realised_monthly_kwh'] == pytest.approx((0.5 - 0.1) * 730)
