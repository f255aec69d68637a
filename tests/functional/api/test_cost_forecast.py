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
"""``GET /api/v1/cost/forecast`` on a store with this month's records."""

import datetime

import pytest
import webob

from kcloud_analyzer.api import app
from kcloud_analyzer.common import context
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from tests import fixtures as test_fixtures
from tests.functional.api import fixtures

#: 3.0 an hour for the last 20 days
RATE = 3.0
DAYS = 20


@pytest.fixture(scope='module')
def application(tmp_path_factory):
    store = tmp_path_factory.mktemp('forecast') / 'store.sqlite'
    conf = fixtures.make_conf('sqlite:///%s' % store)
    test_fixtures.use_store(conf)
    migration.upgrade()
    admin = context.get_admin_context()
    fixtures.seed(admin)
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    current = now.replace(minute=0, second=0, microsecond=0)
    rows = [{
        'workload_id': 'train-a1', 'project_id': fixtures.PROJECT_A,
        'hour': current - datetime.timedelta(hours=h),
        'basis': 'allocation', 'currency': 'USD',
        'workload_type': 'training', 'accelerator': 'A100',
        'compute': 1.0, 'gpu': 2.0, 'npu': 0, 'storage': 0, 'network': 0,
        'energy': 0, 'idle': 0, 'total': RATE, 'energy_kwh': 0.1,
        'carbon_kg': 0.0} for h in range(DAYS * 24)]
    db_api.cost_records_upsert(admin, rows)
    return app.setup_app(conf, auth_middleware=fixtures.TokenMiddleware)


def _get(application, path, token='member-a'):
    request = webob.Request.blank(path)
    request.headers['X-Auth-Token'] = token
    return request.get_response(application)


def test_month_end_per_workload(application):
    response = _get(application, '/api/v1/cost/forecast?group_by=workload')
    assert response.status_code == 200, response.text
    body = response.json
    assert body['interval_level'] == 0.8
    by = {row['group']: row for row in body['forecasts']}
    # The January records of the seed are older than the history read.
    assert set(by) == {'train-a1'}
    row = by['train-a1']
    now = datetime.datetime.fromisoformat(body['now'].rstrip('Z'))
    month_start = now.replace(day=1, hour=0, minute=0, second=0,
                              microsecond=0)
    first = max(month_start, now.replace(minute=0, second=0, microsecond=0)
                - datetime.timedelta(hours=DAYS * 24 - 1))
    hours_so_far = (now.replace(minute=0, second=0, microsecond=0)
                    - first) // datetime.timedelta(hours=1) + 1
    assert row['so_far'] == pytest.approx(RATE * hours_so_far)
    # a flat 3.0 an hour is forecast flat to the end of the month
    assert row['forecast'] == pytest.approx(
        RATE * (hours_so_far + row['hours_left']))
    assert 0 <= row['lower'] <= row['forecast'] <= row['upper']
    assert row['currency'] == 'USD'


def test_month_end_per_project_only_mine(application):
    response = _get(application, '/api/v1/cost/forecast')
    assert response.status_code == 200, response.text
    assert [r['group'] for r in response.json['forecasts']] == [
        fixtures.PROJECT_A]
    other = _get(application, '/api/v1/cost/forecast?project_id=%s'
                 % fixtures.PROJECT_B)
    assert other.status_code == 403
    # an admin of project A is not an admin of B; the cloud's is
    project_admin = _get(application, '/api/v1/cost/forecast?project_id=%s'
                         % fixtures.PROJECT_B, token='admin-token')
    assert project_admin.status_code == 403
    admin = _get(application, '/api/v1/cost/forecast?project_id=%s'
                 % fixtures.PROJECT_B, token='system-admin')
    assert admin.status_code == 200
    assert admin.json['forecasts'] == []


def test_a_bad_grouping_is_a_400(application):
    assert _get(application,
                '/api/v1/cost/forecast?group_by=type').status_code == 400
