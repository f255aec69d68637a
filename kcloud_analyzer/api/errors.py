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
"""Error bodies in the API-SIG shape, with fixed error code strings.

Controllers raise :class:`kcloud_analyzer.common.exception
.KcloudAnalyzerException` subclasses (which carry their status and code),
``webob.exc`` errors or policy failures; :func:`response_for` turns any of
them into one JSON body. :class:`ErrorBodyMiddleware` rewrites the errors
that the middleware around the application produces itself (auth_token,
sizelimit) into the same shape.
"""

import http

from oslo_log import log
from oslo_policy import policy
from oslo_serialization import jsonutils
import webob
import webob.dec
import webob.exc

from kcloud_analyzer.common import exception

LOG = log.getLogger(__name__)

JSON = 'application/json'

# The code strings clients can rely on, by HTTP status, for errors that do
# not come from a KcloudAnalyzerException (which carries its own).
CODES = {
    400: 'kcloud-analyzer.request_invalid',
    401: 'kcloud-analyzer.unauthenticated',
    403: 'kcloud-analyzer.forbidden',
    404: 'kcloud-analyzer.not_found',
    405: 'kcloud-analyzer.method_not_allowed',
    406: 'kcloud-analyzer.version_not_acceptable',
    409: 'kcloud-analyzer.conflict',
    413: 'kcloud-analyzer.request_too_large',
    415: 'kcloud-analyzer.media_type_unsupported',
    500: 'kcloud-analyzer.internal_error',
}


class RequestInvalid(exception.Invalid):
    """A body or query that does not match its JSON Schema."""

    msg_fmt = '%(reason)s'
    error_code = CODES[400]


class MediaTypeUnsupported(exception.KcloudAnalyzerException):
    msg_fmt = 'The request body must be %(expected)s.'
    code = 415
    error_code = CODES[415]


class VersionNotAcceptable(exception.KcloudAnalyzerException):
    msg_fmt = ('Version %(requested)s is not supported; this service '
               'supports %(minimum)s to %(maximum)s.')
    code = 406
    error_code = CODES[406]


class VersionInvalid(exception.Invalid):
    msg_fmt = 'Invalid OpenStack-API-Version header: %(reason)s'
    error_code = 'kcloud-analyzer.version_invalid'


def body(status, code, detail, request_id=None, title=None):
    """One API-SIG error document."""
    return {'errors': [{
        'status': status,
        'code': code,
        'title': title or http.HTTPStatus(status).phrase,
        'detail': detail,
        'request_id': request_id,
    }]}


def make_response(status, code, detail, request_id=None, headers=None):
    response = webob.Response(
        status=status, content_type=JSON, charset=None,
        body=jsonutils.dump_as_bytes(body(status, code, detail, request_id)))
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def response_for(error, request_id=None):
    """The API-SIG response for an exception raised while handling."""
    if isinstance(error, exception.KcloudAnalyzerException):
        status, code, detail = error.code, error.error_code, str(error)
        if status >= 500:
            LOG.error('Request %s failed: %s', request_id, detail)
            detail = 'The server could not handle the request.'
        return make_response(status, code, detail, request_id)
    if isinstance(error, policy.InvalidScope):
        return make_response(403, CODES[403], 'The token has the wrong '
                             'scope for this operation.', request_id)
    if isinstance(error, policy.PolicyNotAuthorized):
        return make_response(403, CODES[403], 'The token does not allow '
                             'this operation.', request_id)
    if isinstance(error, webob.exc.HTTPException) and error.code < 500:
        headers = {}
        if error.code == 405 and error.headers.get('Allow'):
            headers['Allow'] = error.headers['Allow']
        detail = error.detail or error.explanation
        if error.code == 405:
            detail = 'This resource does not allow that method.'
        return make_response(error.code, CODES.get(error.code, CODES[400]),
                             detail, request_id, headers)
    LOG.exception('Unexpected error handling request %s', request_id)
    return make_response(500, CODES[500],
                         'The server could not handle the request.',
                         request_id)


def _is_api_sig(response):
    if response.content_type != JSON:
        return False
    try:
        document = jsonutils.loads(response.body)
    except ValueError:
        return False
    return isinstance(document, dict) and 'errors' in document


class ErrorBodyMiddleware:
    """Give every 4xx/5xx the API-SIG body, whoever produced it.

    keystonemiddleware and oslo.middleware answer with their own bodies;
    clients should not need to parse two shapes.
    """

    def __init__(self, application):
        self.application = application

    @webob.dec.wsgify
    def __call__(self, request):
        try:
            response = request.get_response(self.application)
        except webob.exc.HTTPException as error:
            response = error
        if response.status_code < 400 or _is_api_sig(response):
            return response
        request_id = request.environ.get('openstack.request_id')
        status = response.status_code
        detail = _detail_of(response)
        kept = {name: response.headers[name]
                for name in ('WWW-Authenticate', 'Allow')
                if name in response.headers}
        return make_response(status, CODES.get(status, CODES[500]), detail,
                             request_id, kept)


def _detail_of(response):
    """A human-readable reason from a foreign error response."""
    if isinstance(response, webob.exc.HTTPException):
        return response.detail or response.explanation
    if response.content_type == JSON:
        try:
            document = jsonutils.loads(response.body)
        except ValueError:
            document = None
        if isinstance(document, dict):
            # keystonemiddleware: {"error": {"message": ...}}
            error = document.get('error')
            if isinstance(error, dict) and error.get('message'):
                return error['message']
    return http.HTTPStatus(response.status_code).description
