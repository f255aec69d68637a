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
"""The one decorator every JSON API method goes through."""

import functools
import inspect
import math

from oslo_log import log
from oslo_serialization import jsonutils
import pecan

from kcloud_analyzer.api import utils
from kcloud_analyzer.api import validation

LOG = log.getLogger(__name__)

#: the query schema of a method that takes no query parameters
NO_QUERY = {'type': 'object', 'additionalProperties': False}


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


class Encoded(bytes):
    """A response document already encoded by :func:`dump_json` (a cached
    answer): sent as it is."""


def dump_json(result):
    """The JSON bytes of a response document. A float that is not finite
    (a mean of huge stored values) becomes null: ``NaN`` and ``Infinity``
    are not JSON, and a client's parser would refuse the whole answer."""
    try:
        return jsonutils.dump_as_bytes(result, allow_nan=False)
    except ValueError:
        LOG.warning('A response held numbers that are not finite; they '
                    'are sent as null')
        return jsonutils.dump_as_bytes(_finite(
            jsonutils.to_primitive(result, convert_instances=True)),
            allow_nan=False)


def expose(rule, status_code=200, body=None, query=None, response=None):
    """Expose a controller method that returns a JSON-ready dict (or an
    :class:`Encoded` document).

    :param rule: the policy rule the caller must pass, against its own
        project, before anything of the request is read
    :param body: JSON Schema of the request body; the validated document
        is passed as the ``body`` keyword
    :param query: JSON Schema of the query string (an object schema); the
        validated, typed parameters are passed as keywords. Without it
        the method takes no query parameter.
    :param response: JSON Schema of the response body, published in the
        OpenAPI document (and checked by the tests)
    """
    def decorate(func):
        # Path segments fill the positional parameters after ``self``;
        # query parameters and the body are keyword-only.
        path_arity = sum(
            1 for p in inspect.signature(func).parameters.values()
            if p.kind == p.POSITIONAL_OR_KEYWORD) - 1

        # Pecan routes on this signature: path segments arrive as
        # positional arguments; the query string is read from the request
        # (and validated) rather than taken from pecan's keywords.
        @functools.wraps(func)
        def wrapper(self, *args, **kwargs):
            if len(args) != path_arity:
                pecan.abort(404)
            utils.authorize(rule)
            request = pecan.request
            params = validation.query(query or NO_QUERY, request.GET)
            if body is not None:
                params['body'] = validation.body(body, request)
            result = func(self, *args, **params)
            pecan.response.status = status_code
            if result is None:
                return pecan.response
            pecan.response.content_type = 'application/json'
            # plain bytes: a WSGI server may refuse a subclass (PEP 3333
            # asks for bytestrings; wsgiref checks the exact type)
            pecan.response.body = (bytes(result)
                                   if isinstance(result, Encoded)
                                   else dump_json(result))
            return pecan.response

        wrapper.api_rule = rule
        wrapper.api_schemas = {'body': body, 'query': query,
                               'response': response,
                               'status': status_code}
        return pecan.expose(content_type='application/json')(wrapper)
    return decorate
