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
import json

from oslo_policy import policy
import webob
import webob.exc

from kcloud_analyzer.api import errors
from kcloud_analyzer.common import exception


def _error(response):
    assert response.content_type == 'application/json'
    document = json.loads(response.body)
    assert list(document) == ['errors']
    (error,) = document['errors']
    assert set(error) == {'status', 'code', 'title', 'detail', 'request_id'}
    assert error['status'] == response.status_code
    return error


def test_project_exception_keeps_its_code():
    response = errors.response_for(
        exception.WorkloadNotFound(workload_id='w1'), 'req-1')
    error = _error(response)
    assert error['code'] == 'kcloud-analyzer.workload_not_found'
    assert error['detail'] == 'Workload w1 could not be found.'
    assert error['request_id'] == 'req-1'


def test_policy_refusal_is_403():
    refusal = policy.PolicyNotAuthorized('rule', {}, {})
    assert _error(errors.response_for(refusal))['code'] == (
        'kcloud-analyzer.forbidden')


def test_unexpected_error_hides_its_text():
    error = _error(errors.response_for(RuntimeError('secret detail')))
    assert error['status'] == 500
    assert 'secret' not in error['detail']


def test_internal_project_exception_hides_its_text():
    error = _error(errors.response_for(
        exception.ConfigInvalid(reason='password=hunter2')))
    assert error['status'] == 500
    assert 'hunter2' not in error['detail']


def _app(status, body, content_type, headers=()):
    def application(environ, start_response):
        start_response(status, [('Content-Type', content_type), *headers])
        return [body]
    return application


def test_middleware_rewrites_foreign_errors():
    foreign = _app('401 Unauthorized',
                   b'{"error": {"code": 401, "message": "Who are you?"}}',
                   'application/json',
                   [('WWW-Authenticate', "Keystone uri='x'")])
    request = webob.Request.blank('/')
    request.environ['openstack.request_id'] = 'req-2'
    response = request.get_response(errors.ErrorBodyMiddleware(foreign))
    error = _error(response)
    assert error['code'] == 'kcloud-analyzer.unauthenticated'
    assert error['detail'] == 'Who are you?'
    assert error['request_id'] == 'req-2'
    assert response.headers['WWW-Authenticate'] == "Keystone uri='x'"


def test_middleware_turns_raised_http_errors_into_bodies():
    def too_large(environ, start_response):
        raise webob.exc.HTTPRequestEntityTooLarge()
    response = webob.Request.blank('/').get_response(
        errors.ErrorBodyMiddleware(too_large))
    assert _error(response)['code'] == 'kcloud-analyzer.request_too_large'


def test_middleware_leaves_successes_and_own_errors_alone():
    ok = _app('200 OK', b'plain', 'text/plain')
    response = webob.Request.blank('/').get_response(
        errors.ErrorBodyMiddleware(ok))
    assert response.body == b'plain'
    own = errors.make_response(404, 'kcloud-analyzer.not_found', 'gone')
    response = webob.Request.blank('/').get_response(
        errors.ErrorBodyMiddleware(own))
    assert _error(response)['detail'] == 'gone'
