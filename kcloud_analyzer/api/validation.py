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
"""JSON Schema validation of request bodies and query strings.

Query strings arrive as text: values are first converted to the types
their schema declares, so one schema describes a parameter both here and
in the OpenAPI document. Every failure is a 400 that names the field.
"""

import datetime
import json
import math

import jsonschema
from oslo_log import log
import webob

from kcloud_analyzer.api import errors

LOG = log.getLogger(__name__)


def parse_datetime(value):
    """A naive UTC datetime from an ISO 8601 string with an offset or Z.

    :raises ValueError: when not ISO 8601, or out of range once in UTC
    """
    parsed = datetime.datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(datetime.timezone.utc)
        except OverflowError:
            raise ValueError('%s is out of range in UTC' % value) from None
        parsed = parsed.replace(tzinfo=None)
    return parsed


#: the instants the service can store and analyse (the analysis counts
#: time in nanoseconds since 1970 on 64 bits)
EARLIEST = datetime.datetime(1970, 1, 1)
LATEST = datetime.datetime(2262, 4, 11)


def check_range(name, moment):
    """Raise RequestInvalid for an instant the service cannot handle."""
    if not EARLIEST <= moment < LATEST:
        raise errors.RequestInvalid(
            reason='Invalid %s: %sZ is out of the supported range %sZ to '
                   '%sZ.' % (name, moment.isoformat(), EARLIEST.isoformat(),
                            LATEST.isoformat()))


FORMAT_CHECKER = jsonschema.FormatChecker(formats=())


@FORMAT_CHECKER.checks('date-time', raises=ValueError)
def _is_datetime(value):
    if not isinstance(value, str):
        return True
    parse_datetime(value)
    return True


#: id of a schema -> (the schema, its validator)
_VALIDATORS = {}
#: more schemas than the API has means that some are made per request:
#: their validators are then not kept
_MAX_VALIDATORS = 512


def _validator(schema):
    """A validator of ``schema``, made once per schema object (the API's
    schemas are module constants): making one is a good part of the
    checks' cost."""
    found = _VALIDATORS.get(id(schema))
    if found is not None and found[0] is schema:
        return found[1]
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=FORMAT_CHECKER)
    if len(_VALIDATORS) < _MAX_VALIDATORS:
        _VALIDATORS[id(schema)] = (schema, validator)
    return validator


def _field(error, where):
    path = '.'.join(str(part) for part in error.absolute_path)
    return '%s %s' % (where, repr(path) if path else '')


def _raise_first(validator, document, where):
    failures = sorted(validator.iter_errors(document),
                      key=lambda error: list(error.absolute_path))
    if failures:
        error = failures[0]
        raise errors.RequestInvalid(
            reason='Invalid %s: %s' % (_field(error, where).strip(),
                                        error.message))


def validate(schema, document, where='body'):
    """Raise :class:`errors.RequestInvalid` unless ``document`` matches."""
    _raise_first(_validator(schema), document, where)


def _coerce(name, value, schema):
    """Convert one query-string value to its schema's type."""
    kind = schema.get('type')
    try:
        if kind == 'integer':
            return int(value)
        if kind == 'number':
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(value)
            return number
        if kind == 'boolean':
            lowered = value.lower()
            if lowered in ('true', '1', 'yes'):
                return True
            if lowered in ('false', '0', 'no'):
                return False
            raise ValueError(value)
    except ValueError:
        raise errors.RequestInvalid(
            reason='Invalid query parameter %r: %r is not of type %s.'
            % (name, value, kind)) from None
    return value


def query(schema, params):
    """The validated query parameters of a request, with their types.

    :param params: the request's ``GET`` multidict
    :returns: a dict of parameter names to values; ``date-time``
        parameters become naive UTC datetimes
    """
    properties = schema.get('properties', {})
    values = {}
    for name in params:
        given = params.getall(name)
        spec = properties.get(name)
        if spec is None:
            values[name] = given[-1]
            continue
        if spec.get('type') == 'array':
            values[name] = [_coerce(name, value, spec.get('items', {}))
                            for value in given]
        elif len(given) > 1:
            raise errors.RequestInvalid(
                reason='Query parameter %r is given more than once.' % name)
        else:
            values[name] = _coerce(name, given[0], spec)
    validate(schema, values, 'query parameter')
    for name, spec in properties.items():
        if spec.get('format') == 'date-time' and name in values:
            values[name] = parse_datetime(values[name])
            check_range('query parameter %r' % name, values[name])
    start, end = values.get('start'), values.get('end')
    if (isinstance(start, datetime.datetime)
            and isinstance(end, datetime.datetime) and start > end):
        raise errors.RequestInvalid(
            reason='Invalid query: start %sZ is after end %sZ.'
            % (start.isoformat(), end.isoformat()))
    return values


def _reject_constant(name):
    raise ValueError('%s is not a JSON number' % name)


def _finite_float(text):
    number = float(text)
    if not math.isfinite(number):
        raise ValueError('%s is too large for a JSON number' % text)
    return number


_BODY_KEY = 'kcloud_analyzer.json_body'


def parse_json(raw):
    """A JSON document from request bytes.

    :raises errors.RequestInvalid: not UTF-8, not JSON, a number that is
        not finite (NaN, Infinity, 1e400), or nested too deeply for the
        parser (a RecursionError is a client's doing, not a server error)
    """
    try:
        return json.loads(raw.decode('utf-8'),
                          parse_constant=_reject_constant,
                          parse_float=_finite_float)
    except UnicodeDecodeError as error:
        raise errors.RequestInvalid(
            reason='The body is not UTF-8: %s' % error) from None
    except RecursionError:
        raise errors.RequestInvalid(
            reason='The body is nested too deeply.') from None
    except ValueError as error:
        raise errors.RequestInvalid(
            reason='The body is not valid JSON: %s' % error) from None


class JSONBodyMiddleware:
    """Parse a JSON request body once, before the framework reads it.

    Pecan reads ``request.json`` itself and logs a decoding failure as an
    error with its traceback; the body is checked here first, so a body
    that is not UTF-8 or nested too deeply gets a 400 and a warning.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        request = webob.Request(environ)
        if request.content_type == 'application/json' and \
                request.method in ('POST', 'PUT', 'PATCH') and \
                request.content_length:
            try:
                environ[_BODY_KEY] = parse_json(request.body)
            except errors.RequestInvalid as error:
                request_id = environ.get('openstack.request_id')
                LOG.warning('Request %s: %s', request_id, error)
                response = errors.make_response(
                    error.code, error.error_code, str(error), request_id)
                return response(environ, start_response)
        return self.application(environ, start_response)


def body(schema, request):
    """The validated JSON body of a request."""
    if request.content_type != 'application/json':
        raise errors.MediaTypeUnsupported(expected='application/json')
    if _BODY_KEY in request.environ:
        document = request.environ[_BODY_KEY]
    else:
        document = parse_json(request.body)
    try:
        validate(schema, document, 'body field')
    except RecursionError:
        raise errors.RequestInvalid(
            reason='The body is nested too deeply.') from None
    return document
