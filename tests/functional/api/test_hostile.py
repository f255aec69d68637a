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
"""Hostile requests: each gets its 4xx and no ERROR in the log, and no
response carries what is not JSON (NaN, Infinity)."""

import datetime
import json
import logging

import pytest
import webob

from kcloud_analyzer.api import app
from kcloud_analyzer.common import context
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from tests import fixtures as test_fixtures
from tests.functional.api import fixtures


@pytest.fixture
def application(tmp_path):
    conf = fixtures.make_conf('sqlite:///%s' % (tmp_path / 'store.sqlite'))
    reset = test_fixtures.use_store(conf)
    migration.upgrade()
    fixtures.seed(context.get_admin_context())
    yield app.setup_app(conf, auth_middleware=fixtures.TokenMiddleware)
    reset()


def _post(application, path, body, token='member-a',
          content_type='application/json'):
    request = webob.Request.blank(path, method='POST')
    request.headers['X-Auth-Token'] = token
    request.content_type = content_type
    request.body = body
    return request.get_response(application)


def _get(application, path, token='member-a'):
    request = webob.Request.blank(path)
    request.headers['X-Auth-Token'] = token
    return request.get_response(application)


def _no_errors_logged(caplog):
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


@pytest.mark.parametrize('depth', [2000, 20000])
def test_deeply_nested_body_is_a_400(application, caplog, depth):
    body = b'{"workload_id": ' + b'[' * depth + b']' * depth + b'}'
    response = _post(application, '/api/v1/analyze', body)
    assert response.status_code == 400, response.text
    assert response.json['errors'][0]['code'] == \
        'kcloud-analyzer.request_invalid'
    _no_errors_logged(caplog)


@pytest.mark.parametrize('body', [
    b'{"workload_id": "\xff\xfe"}',
    '{"workload_id": "caf\u00e9"}'.encode('latin-1'),
    b'\xef\xbb\xbf\x00\x00',
], ids=['invalid bytes', 'latin-1', 'nul'])
def test_non_utf8_body_is_a_400(application, caplog, body):
    response = _post(application, '/api/v1/analyze', body)
    assert response.status_code == 400, response.text
    _no_errors_logged(caplog)


@pytest.mark.parametrize('number', [b'1e400', b'-1e400', b'NaN',
                                    b'Infinity'])
def test_non_finite_numbers_in_a_body_are_a_400(application, number):
    body = (b'{"workload_id": "w", "usage_pattern": {"cpu_utilization": '
            + number + b'}}')
    response = _post(application, '/api/v1/analyze', body)
    assert response.status_code == 400, response.text


def test_analyzing_another_projects_workload_is_a_404(application):
    # infer-b1 belongs to project B; its existence must not show
    body = json.dumps({'workload_id': 'infer-b1', 'resources': {
        'cpu_cores': 4, 'memory_gb': 16, 'gpu_count': 1},
        'usage_pattern': {'cpu_utilization': 50.0}}).encode()
    response = _post(application, '/api/v1/analyze', body)
    assert response.status_code == 404, response.text
    assert response.json['errors'][0]['code'] == \
        'kcloud-analyzer.workload_not_found'
    assert _get(application, '/api/v1/workloads/infer-b1'
                ).status_code == 404
    # the owner's own analysis still goes through
    response = _post(application, '/api/v1/analyze', body, token='member-b')
    assert response.status_code == 200, response.text


def test_a_stored_huge_value_never_makes_invalid_json(application):
    admin = context.get_admin_context()
    start = fixtures.START + datetime.timedelta(hours=1)
    # written around the agent's validation, as an older release could
    db_api.rollups_upsert(admin, [{
        'workload_id': 'train-a1', 'metric': 'power_watts',
        'window_start': start + datetime.timedelta(minutes=5 * i),
        'mean': 1e308, 'min': 1e308, 'max': 1e308, 'count': 10}
        for i in range(3)])
    response = _get(application, '/api/v1/metrics?workload_id=train-a1'
                    '&metric=power_watts')
    assert response.status_code == 200, response.text
    text = response.body.decode()
    assert 'Infinity' not in text and 'NaN' not in text
    json.loads(text, parse_constant=lambda name: pytest.fail(name))
