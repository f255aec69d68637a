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
"""The ``openstack analyzer`` commands against the real API application,
served over HTTP on loopback with a SQLite store (noauth: Keystone itself
is exercised in tests/functional/api)."""

import argparse
import datetime
import decimal
import threading
from wsgiref import simple_server

from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
from osc_lib import exceptions
import pytest

from kcloud_analyzer.api import app as api_app
from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.osc import client as analyzer_client
from kcloud_analyzer.osc.v1 import cost
from kcloud_analyzer.osc.v1 import workloads
from tests import fixtures

T0 = datetime.datetime(2026, 11, 2, 0, 0)


class _QuietHandler(simple_server.WSGIRequestHandler):

    def log_message(self, *args):
        pass


@pytest.fixture(scope='module')
def endpoint():
    conf_fixture = fixtures.ConfFixture()
    conf_fixture.setUp()
    conf = conf_fixture.conf
    conf.set_override('auth_strategy', 'noauth', group='api')
    database = fixtures.Database(conf)
    database.setUp()
    ctx = kcontext.get_admin_context()
    db_api.workload_upsert(ctx, {
        'workload_id': 'train-1', 'project_id': 'p1', 'name': 'llama-ft',
        'declared_type': 'training', 'accelerator': 'A100',
        'resources': {'cpu_cores': 32, 'memory_gb': 256, 'gpu_count': 4,
                      'accelerator': 'A100'}, 'instances': ['i-1']})
    db_api.workload_upsert(ctx, {
        'workload_id': 'serve-1', 'project_id': 'p2',
        'classified_type': 'serving', 'confidence': 0.93,
        'resources': {'cpu_cores': 8, 'gpu_count': 1}})
    db_api.cost_records_upsert(ctx, [{
        'workload_id': 'train-1', 'project_id': 'p1',
        'hour': T0 + datetime.timedelta(hours=h), 'basis': 'allocation',
        'currency': 'USD', 'workload_type': 'training', 'accelerator': 'A100',
        'compute': decimal.Decimal('1.000000'),
        'gpu': decimal.Decimal('8.000000'), 'npu': 0, 'storage': 0,
        'network': 0, 'energy': decimal.Decimal('0.500000'), 'idle': 0,
        'total': decimal.Decimal('9.500000'), 'energy_kwh': 3.0,
        'carbon_kg': 1.2} for h in range(3)])
    db_api.recommendations_replace(ctx, 'train-1', [{
        'project_id': 'p1', 'kind': 'off_peak_training',
        'action': 'Run in off-peak hours',
        'monthly_saving': decimal.Decimal('42.50'), 'currency': 'USD',
        'confidence': 0.7, 'evidence': {'peak_share': 0.8}}])
    application = api_app.setup_app(conf)
    server = simple_server.make_server('127.0.0.1', 0, application,
                                       handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % server.server_port
    server.shutdown()
    server.server_close()
    database.cleanUp()
    conf_fixture.cleanUp()


@pytest.fixture
def app(endpoint):
    session = ks_session.Session(auth=noauth.NoAuth(endpoint=endpoint))
    client_manager = argparse.Namespace(
        analyzer=analyzer_client.Client(session, endpoint))
    return argparse.Namespace(client_manager=client_manager)


def _run(command_class, app, argv):
    command = command_class(app, None)
    parsed = command.get_parser('openstack').parse_args(argv)
    return command.take_action(parsed)


def test_workload_list_and_filter(app):
    columns, rows = _run(workloads.ListWorkload, app, [])
    rows = [dict(zip(columns, row, strict=True)) for row in rows]
    assert {r['workload_id']: r['type'] for r in rows} == {
        'train-1': 'training', 'serve-1': 'serving'}
    columns, rows = _run(workloads.ListWorkload, app, ['--type', 'serving'])
    assert [row[0] for row in rows] == ['serve-1']


def test_workload_show(app):
    columns, values = _run(workloads.ShowWorkload, app, ['train-1'])
    shown = dict(zip(columns, values, strict=True))
    assert shown['name'] == 'llama-ft'
    assert shown['resources'].human_readable() == (
        "accelerator='A100', cpu_cores='32', gpu_count='4', memory_gb='256'")
    assert shown['instances'].human_readable() == 'i-1'


def test_missing_workload_is_a_clear_error(app):
    with pytest.raises(exceptions.CommandError, match='HTTP 404'):
        _run(workloads.ShowWorkload, app, ['nope'])


def test_cost_show_has_breakdown_and_totals(app):
    columns, values = _run(cost.ShowCost, app, ['train-1'])
    shown = dict(zip(columns, values, strict=True))
    assert shown['cost_per_hour'] == pytest.approx(9.5)
    assert shown['hourly_gpu'] == pytest.approx(8.0)
    assert shown['total_total'] == pytest.approx(28.5)
    assert shown['total_energy_kwh'] == pytest.approx(9.0)


def test_cost_summary(app):
    columns, rows = _run(cost.SummaryCost, app,
                         ['--group-by', 'accelerator', '--period', 'day'])
    rows = [dict(zip(columns, row, strict=True)) for row in rows]
    assert [(r['group'], r['total'], r['hours']) for r in rows] == [
        ('A100', pytest.approx(28.5), 3)]


def test_recommendation_list(app):
    columns, rows = _run(cost.ListRecommendation, app, ['--long'])
    rows = [dict(zip(columns, row, strict=True)) for row in rows]
    assert rows[0]['kind'] == 'off_peak_training'
    assert rows[0]['monthly_saving'] == pytest.approx(42.5)
    assert rows[0]['evidence'].human_readable() == "peak_share='0.8'"


def test_predict_needs_workload_or_resources(app):
    with pytest.raises(exceptions.CommandError, match='--workload'):
        _run(cost.PredictCost, app, ['--hours', '10'])
    with pytest.raises(exceptions.CommandError, match='not valid JSON'):
        _run(cost.PredictCost, app, ['--hours', '10', '--resources', '{'])


def test_predict_cost_of_a_planned_workload(app):
    columns, values = _run(cost.PredictCost, app, [
        '--hours', '10', '--type', 'training', '--resources',
        '{"cpu_cores": 16, "memory_gb": 128, "gpu_count": 2, '
        '"accelerator": "A100"}'])
    shown = dict(zip(columns, values, strict=True))
    assert shown['duration_hours'] == 10
    assert shown['total'] == pytest.approx(shown['cost_per_hour'] * 10,
                                           rel=1e-3)
    assert shown['cost_per_hour'] > 0


def test_cost_forecast_per_workload(app):
    # Records of the last ten days, relative to the clock (the forecast
    # reads this month and the four weeks before now). Written last in
    # this module: the summaries above count the fixture's records only.
    ctx = kcontext.get_admin_context()
    now = datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None, minute=0, second=0, microsecond=0)
    db_api.workload_upsert(ctx, {
        'workload_id': 'serve-forecast-1', 'project_id': 'p3',
        'declared_type': 'serving', 'resources': {'cpu_cores': 2}})
    db_api.cost_records_upsert(ctx, [{
        'workload_id': 'serve-forecast-1', 'project_id': 'p3',
        'hour': now - datetime.timedelta(hours=h), 'basis': 'allocation',
        'currency': 'USD', 'workload_type': 'serving', 'accelerator': None,
        'compute': decimal.Decimal('2.000000'), 'gpu': 0, 'npu': 0,
        'storage': 0, 'network': 0, 'energy': 0, 'idle': 0,
        'total': decimal.Decimal('2.000000'), 'energy_kwh': 0,
        'carbon_kg': 0} for h in range(240)])
    columns, rows = _run(cost.ForecastCost, app,
                         ['--group-by', 'workload', '--project', 'p3'])
    rows = [dict(zip(columns, row, strict=True)) for row in rows]
    assert [r['group'] for r in rows] == ['serve-forecast-1']
    row = rows[0]
    assert row['currency'] == 'USD'
    # 2.0 an hour: so far, then flat to the end of the month
    assert row['so_far'] > 0
    assert row['forecast'] == pytest.approx(
        row['so_far'] + 2.0 * row['hours_left'])
    assert 0 <= row['lower'] <= row['forecast'] <= row['upper']
