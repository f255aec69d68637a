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
"""The OpenAPI document against the controllers it describes."""

import json

import jsonschema
import pytest
from pecan import rest
import webob

from kcloud_analyzer.api import app
from kcloud_analyzer.api.controllers import v1
from kcloud_analyzer.api import openapi
from kcloud_analyzer.common import context
from kcloud_analyzer.db import migration
from tests import fixtures as test_fixtures
from tests.functional.api import fixtures

_METHODS = {'get_all': ('GET', ''), 'get_one': ('GET', '/{workload_id}'),
            'post': ('POST', '')}

# A valid request for every route, so that each one is answered by its
# controller (not by routing) and its response can be checked.
EXAMPLES = {
    ('POST', '/api/v1/analyze'): {
        'workload_id': 'example', 'type': 'serving',
        'resources': {'cpu_cores': 4, 'memory_gb': 16, 'gpu_count': 1,
                      'accelerator': 'L40S'},
        'usage_pattern': {'gpu_utilization': 40.0}},
    ('POST', '/api/v1/predict-cost'): {
        'workload_id': 'train-a1', 'duration_hours': 5},
    ('POST', '/api/v1/cost/reprocess'): {
        'start': '2026-01-05T00:00:00Z', 'end': '2026-01-06T00:00:00Z'},
}

# The routes a project member may not call.
ADMIN_ONLY = {('POST', '/api/v1/cost/reprocess')}


def _controller_routes(controller=v1.V1Controller, prefix='/api/v1'):
    """(method, path, handler) of every JSON method of the v1 tree."""
    found = []
    for name, value in vars(controller).items():
        if not isinstance(value, rest.RestController):
            continue
        path = '%s/%s' % (prefix, name)
        for method_name, (method, suffix) in _METHODS.items():
            handler = getattr(type(value), method_name, None)
            if handler is not None and hasattr(handler, 'api_schemas'):
                found.append((method, path + suffix, handler))
        found += _controller_routes(type(value), path)
    return found


def test_every_controller_method_is_documented():
    documented = {(r.method, r.path): r.handler for r in openapi.ROUTES}
    routes = _controller_routes()
    assert len(routes) == len(
        [r for r in openapi.ROUTES if r.path.startswith('/api/v1/')])
    for method, path, handler in routes:
        assert documented.get((method, path)) is handler, (method, path)


def test_document_uses_the_controllers_schemas():
    document = openapi.document()
    for route in openapi.ROUTES:
        operation = document['paths'][route.path][route.method.lower()]
        if isinstance(route.handler, str):
            continue
        schemas = route.handler.api_schemas
        query = (schemas['query'] or {}).get('properties', {})
        documented = {p['name'] for p in operation['parameters']
                      if p.get('in') == 'query'}
        assert documented == set(query), route.path
        if schemas['body'] is None:
            assert 'requestBody' not in operation
        else:
            body = operation['requestBody']['content'][
                'application/json']['schema']
            assert body == openapi.to_openapi30(schemas['body'])
        assert str(schemas['status']) in operation['responses']


def test_document_has_no_null_types():
    """OpenAPI 3.0 (what Swagger UI renders) has no "null" type."""
    text = json.dumps(openapi.document())
    assert '"null"' not in text
    assert '"type": ["' not in text


def test_to_openapi30():
    assert openapi.to_openapi30({'type': ['string', 'null']}) == {
        'type': 'string', 'nullable': True}
    assert openapi.to_openapi30(
        {'oneOf': [{'type': 'object'}, {'type': 'null'}]}) == {
        'type': 'object', 'nullable': True}
    assert openapi.to_openapi30(
        {'type': 'number', 'exclusiveMinimum': 0}) == {
        'type': 'number', 'minimum': 0, 'exclusiveMinimum': True}
    assert openapi.to_openapi30({'properties': {
        'a': {'type': ['integer', 'null']}}}) == {'properties': {
            'a': {'type': 'integer', 'nullable': True}}}


@pytest.fixture(scope='module')
def application(tmp_path_factory):
    store = tmp_path_factory.mktemp('openapi') / 'store.sqlite'
    conf = fixtures.make_conf('sqlite:///%s' % store)
    test_fixtures.use_store(conf)
    migration.upgrade()
    fixtures.seed(context.get_admin_context())
    return app.setup_app(conf, auth_middleware=fixtures.TokenMiddleware)


@pytest.mark.parametrize('route', openapi.ROUTES,
                         ids=lambda r: '%s %s' % (r.method, r.path))
def test_every_route_answers_as_documented(application, route):
    path = route.path.replace('{workload_id}', 'train-a1')
    body = EXAMPLES.get((route.method, route.path))
    request = webob.Request.blank(path, method=route.method)
    # the cloud's administrator: a system-scoped admin token
    request.headers['X-Auth-Token'] = (
        'system-admin' if (route.method, route.path) in ADMIN_ONLY
        else 'member-a')
    # On the service's host, as Prometheus scrapes /metrics.
    request.remote_addr = '127.0.0.1'
    if body is not None:
        request.body = json.dumps(body).encode()
        request.content_type = 'application/json'
    response = request.get_response(application)
    assert response.status_code == 200, response.text
    if isinstance(route.handler, str):
        assert response.content_type == route.handler
    else:
        jsonschema.validate(response.json,
                            route.handler.api_schemas['response'])
