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
import datetime

import pytest
import webob.multidict

from kcloud_analyzer.api import errors
from kcloud_analyzer.api import validation

SCHEMA = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'limit': {'type': 'integer', 'minimum': 1, 'maximum': 10},
        'ratio': {'type': 'number'},
        'flag': {'type': 'boolean'},
        'start': {'type': 'string', 'format': 'date-time'},
        'name': {'type': 'string', 'enum': ['a', 'b']},
    },
}


def _query(**params):
    return validation.query(SCHEMA, webob.multidict.MultiDict(params))


def test_values_take_their_schema_types():
    assert _query(limit='3', ratio='0.5', flag='true', name='a') == {
        'limit': 3, 'ratio': 0.5, 'flag': True, 'name': 'a'}


def test_datetimes_become_naive_utc():
    assert _query(start='2026-01-01T09:00:00+09:00') == {
        'start': datetime.datetime(2026, 1, 1, 0, 0)}
    assert _query(start='2026-01-01T00:00:00Z') == {
        'start': datetime.datetime(2026, 1, 1, 0, 0)}


@pytest.mark.parametrize('params, field', [
    ({'limit': 'ten'}, 'limit'),
    ({'limit': '11'}, 'limit'),
    ({'ratio': 'nan'}, 'ratio'),
    ({'ratio': 'inf'}, 'ratio'),
    ({'flag': 'maybe'}, 'flag'),
    ({'start': 'tomorrow'}, 'start'),
    ({'start': '0001-01-01T00:00:00+02:00'}, 'start'),
    ({'name': 'c'}, 'name'),
    ({'colour': 'red'}, 'colour'),
])
def test_errors_name_the_field(params, field):
    with pytest.raises(errors.RequestInvalid) as caught:
        _query(**params)
    assert field in str(caught.value)


def test_repeated_parameter():
    with pytest.raises(errors.RequestInvalid):
        validation.query(SCHEMA, webob.multidict.MultiDict(
            [('limit', '1'), ('limit', '2')]))


def test_body_must_be_json():
    request = webob.Request.blank('/', method='POST', body=b'{}',
                                  content_type='text/plain')
    with pytest.raises(errors.MediaTypeUnsupported):
        validation.body({'type': 'object'}, request)


def test_body_rejects_nan():
    request = webob.Request.blank('/', method='POST', body=b'{"a": NaN}',
                                  content_type='application/json')
    with pytest.raises(errors.RequestInvalid):
        validation.body({'type': 'object'}, request)


def test_body_error_names_the_nested_field():
    schema = {'type': 'object', 'properties': {'r': {
        'type': 'object', 'properties': {'n': {'type': 'integer'}}}}}
    request = webob.Request.blank('/', method='POST',
                                  body=b'{"r": {"n": "x"}}',
                                  content_type='application/json')
    with pytest.raises(errors.RequestInvalid) as caught:
        validation.body(schema, request)
    assert "'r.n'" in str(caught.value)


def test_a_schema_validator_is_made_once_and_still_checks():
    schema = {'type': 'object',
              'properties': {'limit': {'type': 'integer', 'minimum': 1}}}
    assert validation._validator(schema) is validation._validator(schema)
    validation.validate(schema, {'limit': 3})
    with pytest.raises(errors.RequestInvalid, match="'limit'"):
        validation.validate(schema, {'limit': 0})
    # An equal schema of its own gets a validator of its own.
    other = dict(schema)
    assert validation._validator(other) is not validation._validator(schema)
