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
import json
import os
import pathlib
import subprocess
import sys
import threading
from wsgiref import simple_server

from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
from osc_lib import exceptions
import pytest

from kcloud_analyzer.api import app as api_app
from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import efficacy
from kcloud_analyzerclient import client as analyzer_client
from kcloud_analyzerclient.osc.v1 import cost
from kcloud_analyzerclient.osc.v1 import metrics
from kcloud_analyzerclient.osc.v1 import rates
from kcloud_analyzerclient.osc.v1 import recommendations
from kcloud_analyzerclient.osc.v1 import workloads
from tests import fixtures

T0 = datetime.datetime(2026, 11, 2, 0, 0)
UNKNOWN = ('only GPU utilisation seen; training and batch inference look '
           'alike')


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
    db_api.workload_upsert(ctx, {
        'workload_id': 'batch-1', 'project_id': 'p2',
        'classified_type': 'unknown', 'confidence': 0.52,
        'classification': {'classifier': 'random_forest', 'reason': UNKNOWN},
        'resources': {'gpu_count': 1}})
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
        'monthly_kwh': 0.0, 'confidence': 0.7,
        'evidence': {'peak_share': 0.8}}])
    db_api.rollups_upsert(ctx, [{
        'workload_id': 'train-1', 'metric': 'gpu_utilization',
        'window_start': T0 + datetime.timedelta(minutes=5 * i),
        'mean': 80.0 + i / 3, 'min': 70.0, 'max': 95.0, 'count': 10}
        for i in range(3)])
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
        analyzer=analyzer_client.Client(session, endpoint),
        auth_plugin_name='none')
    return argparse.Namespace(client_manager=client_manager)


def _run(command_class, app, argv):
    command = command_class(app, None)
    parsed = command.get_parser('openstack').parse_args(argv)
    return command.take_action(parsed)


def _shown(columns, values):
    """A ShowOne's answer as table cells."""
    return {column: getattr(value, 'human_readable', lambda v=value: v)()
            for column, value in zip(columns, values, strict=True)}


def _rows(columns, rows):
    return [_shown(columns, row) for row in rows]


def test_workload_list_and_filter(app):
    columns, rows = _run(workloads.ListWorkload, app, [])
    rows = [dict(zip(columns, row, strict=True)) for row in rows]
    assert {r['workload_id']: r['type'] for r in rows} == {
        'train-1': 'training', 'serve-1': 'serving', 'batch-1': 'unknown'}
    columns, rows = _run(workloads.ListWorkload, app, ['--type', 'serving'])
    assert [row[0] for row in rows] == ['serve-1']


def test_workload_show(app):
    columns, values = _run(workloads.ShowWorkload, app, ['train-1'])
    shown = dict(zip(columns, values, strict=True))
    assert shown['name'] == 'llama-ft'
    assert shown['resources'].human_readable() == (
        "accelerator='A100', cpu_cores='32', gpu_count='4', memory_gb='256'")
    assert shown['instances'].human_readable() == 'i-1'
    assert shown['reason'] is None


def test_workload_show_gives_the_reason_of_unknown(app):
    shown = _shown(*_run(workloads.ShowWorkload, app, ['batch-1']))
    assert shown['type'] == 'unknown'
    assert shown['classified_type'] == 'unknown'
    assert shown['confidence'] == '52%'
    assert shown['reason'] == UNKNOWN


def test_missing_workload_is_a_clear_error(app):
    with pytest.raises(exceptions.CommandError, match='HTTP 404'):
        _run(workloads.ShowWorkload, app, ['nope'])


def test_cost_show_has_breakdown_and_totals(app):
    shown = _shown(*_run(cost.ShowCost, app, ['train-1']))
    assert shown['cost_per_hour'] == '9.5000'
    assert shown['hourly_gpu'] == '8.0000'
    assert shown['total'] == '28.50'
    assert shown['total_gpu'] == '24.00'
    assert shown['energy_kwh'] == '9.00'
    assert shown['hours'] == 3
    assert not [column for column in shown if column.count('total') > 1]


def test_cost_summary(app):
    rows = _rows(*_run(cost.SummaryCost, app,
                       ['--group-by', 'accelerator', '--period', 'day']))
    assert [(r['group'], r['total'], r['gpu'], r['hours'])
            for r in rows] == [('A100', '28.50', '24.00', 3)]


def test_project_is_passed_as_given_without_keystone(app):
    rows = _rows(*_run(cost.SummaryCost, app, ['--project', 'p2']))
    assert rows == []
    rows = _rows(*_run(workloads.ListWorkload, app, ['--project', 'p1']))
    assert [r['workload_id'] for r in rows] == ['train-1']


def test_recommendation_list(app):
    rows = _rows(*_run(recommendations.ListRecommendation, app,
                       ['--long']))
    assert rows[0]['kind'] == 'off_peak_training'
    assert rows[0]['monthly_saving'] == '42.50'
    # the same energy at other hours
    assert rows[0]['monthly_kwh'] == '0.00'
    assert rows[0]['confidence'] == '70%'
    assert rows[0]['evidence'] == "peak_share='0.80'"
    assert rows[0]['project_id'] == 'p1'


def test_recommendation_list_applied(app):
    # the workload deleted in its third hour; a one-hour window on either
    # side: 9.50 an hour before, nothing after
    ctx = kcontext.get_admin_context()
    assert db_api.recommendations_apply(
        ctx, 'train-1', 'delete', T0 + datetime.timedelta(hours=2,
                                                          minutes=10),
        ('off_peak_training',)) == 1
    assert efficacy.realise(ctx, now=T0 + datetime.timedelta(hours=4),
                            hours=1) == 1
    assert _rows(*_run(recommendations.ListRecommendation, app,
                       ['--state', 'open'])) == []
    [row] = _rows(*_run(recommendations.ListRecommendation, app,
                        ['--state', 'applied']))
    assert row == {
        'workload_id': 'train-1', 'kind': 'off_peak_training',
        'action': 'Run in off-peak hours', 'applied_change': 'delete',
        'applied_at': '2026-11-02T02:10:00Z', 'monthly_saving': '42.50',
        'realised_monthly_saving': '6935.00', 'monthly_kwh': '0.00',
        'realised_monthly_kwh': '2190.00', 'currency': 'USD'}


def test_metric_list(app):
    rows = _rows(*_run(metrics.ListMetric, app,
                       ['--workload', 'train-1', '--metric',
                        'gpu_utilization']))
    assert [(r['window_start'], r['mean'], r['unit']) for r in rows] == [
        ('2026-11-02T00:00:00Z', '80.00', '%'),
        ('2026-11-02T00:05:00Z', '80.33', '%'),
        ('2026-11-02T00:10:00Z', '80.67', '%')]
    # --limit stops at that many.
    rows = _rows(*_run(metrics.ListMetric, app, ['--workload', 'train-1',
                                                 '--limit', '2']))
    assert len(rows) == 2


def test_rate_list(app):
    rows = _rows(*_run(rates.ListRate, app, []))
    prices = {(r['item'], r['price']): r['value'] for r in rows}
    assert prices['compute', 'vcpu_hour'] == '0.031'
    assert prices['accelerators A100', 'hour'] == '2.20'
    assert prices['accelerators A100 partitions A100 1g.10gb', 'hour'] == (
        '0.40')
    assert {r['currency'] for r in rows} == {'USD'}


def test_analyze(app):
    shown = _shown(*_run(workloads.AnalyzeWorkload, app, [
        'planned-1', '--resources',
        '{"cpu_cores": 8, "memory_gb": 64, "gpu_count": 1, '
        '"accelerator": "A100"}',
        '--usage-pattern', '{"gpu_utilization": 92, '
        '"cpu_utilization": 40}']))
    assert shown['workload_id'] == 'planned-1'
    assert shown['type'] in ('training', 'inference', 'serving', 'unknown')
    assert shown['confidence'].endswith('%')
    # 1 A100 at 2.20 an hour is part of the price.
    assert float(shown['hourly_gpu']) == pytest.approx(2.2, abs=0.01)


def test_analyze_reads_a_usage_file(app, tmp_path):
    usage = tmp_path / 'usage.csv'
    usage.write_text('timestamp,metric,value\n' + ''.join(
        '2026-11-02T00:%02d:00Z,gpu_utilization,%d\n' % (m, 60 + m)
        for m in range(0, 60, 5)))
    shown = _shown(*_run(workloads.AnalyzeWorkload, app, [
        'planned-2', '--resources', '{"gpu_count": 1, "accelerator": '
        '"A100", "cpu_cores": 4, "memory_gb": 16}', '--usage', str(usage)]))
    assert shown['workload_id'] == 'planned-2'
    usage.write_text('when,what\n1,2\n')
    with pytest.raises(exceptions.CommandError, match='line 2'):
        _run(workloads.AnalyzeWorkload, app, [
            'planned-2', '--resources', '{}', '--usage', str(usage)])


def test_predict_needs_workload_or_resources(app):
    with pytest.raises(exceptions.CommandError, match='--workload'):
        _run(cost.PredictCost, app, ['--duration-hours', '10'])
    with pytest.raises(exceptions.CommandError, match='not valid JSON'):
        _run(cost.PredictCost, app, ['--duration-hours', '10',
                                     '--resources', '{'])


def test_predict_cost_of_a_planned_workload(app):
    columns, values = _run(cost.PredictCost, app, [
        '--duration-hours', '10', '--type', 'training', '--resources',
        '{"cpu_cores": 16, "memory_gb": 128, "gpu_count": 2, '
        '"accelerator": "A100"}'])
    shown = _shown(columns, values)
    exact = dict(zip(columns, (getattr(v, 'machine_readable',
                                       lambda v=v: v)() for v in values),
                     strict=True))
    assert exact['duration_hours'] == 10
    assert exact['total'] == pytest.approx(exact['cost_per_hour'] * 10,
                                           rel=1e-3)
    assert shown['total'] == '%.2f' % exact['total']
    assert exact['cost_per_hour'] > 0


OPENSTACK = pathlib.Path(sys.executable).with_name('openstack')


def _openstack(endpoint, *argv):
    """The real ``openstack`` command, without Keystone, as the README
    shows it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    return subprocess.run(
        [str(OPENSTACK), '--os-auth-type', 'none', '--os-endpoint', endpoint,
         'analyzer', *argv], capture_output=True, text=True, timeout=120,
        env=env, check=False)


def test_the_openstack_command_without_keystone(endpoint):
    done = _openstack(endpoint, 'cost', 'show', 'train-1', '-f', 'json')
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown['total'] == 28.5
    assert 'total_total' not in shown
    done = _openstack(endpoint, 'cost', 'summary', '--group-by',
                      'workload')
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stdout.splitlines()
            if '| train-1 ' in line and '| 28.50 ' in line]
    done = _openstack(endpoint, 'cost', 'predict', '--hours', '3')
    assert done.returncode == 2
    assert '--duration-hours' in done.stderr


def test_the_openstack_command_reports_api_errors(endpoint):
    done = _openstack(endpoint, 'workload', 'show', 'nope')
    assert done.returncode == 1
    assert 'HTTP 404' in done.stderr


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
    exact = [dict(zip(columns, (getattr(v, 'machine_readable',
                                        lambda v=v: v)() for v in row),
                      strict=True)) for row in rows]
    assert [r['group'] for r in exact] == ['serve-forecast-1']
    row = exact[0]
    assert row['currency'] == 'USD'
    # 2.0 an hour: so far, then flat to the end of the month
    assert row['so_far'] > 0
    assert row['forecast'] == pytest.approx(
        row['so_far'] + 2.0 * row['hours_left'])
    assert 0 <= row['lower'] <= row['forecast'] <= row['upper']
    shown = _rows(columns, rows)[0]
    assert shown['forecast'] == '%.2f' % row['forecast']
