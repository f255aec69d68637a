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
"""api-ref/ against the routes and schemas of the service."""

import json
import pathlib
import re

import jsonschema
import pytest
import yaml

from kcloud_analyzer.api import openapi

API_REF = pathlib.Path(__file__).parents[3] / 'api-ref' / 'source'
_METHOD = re.compile(r'^\.\. rest_method:: (\w+) (\S+)$', re.M)
_PARAMETER = re.compile(r'^   - ([\w-]+): (\w+)$', re.M)


def _sections():
    """{(method, path): [(name, key), ...]} of every .inc file."""
    sections = {}
    for inc in sorted(API_REF.glob('*.inc')):
        text = inc.read_text()
        matches = list(_METHOD.finditer(text))
        for i, match in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else None
            sections[match.groups()] = _PARAMETER.findall(
                text[match.end():end])
    return sections


def _handlers():
    return {(r.method, r.path): r.handler for r in openapi.ROUTES
            if callable(r.handler)}


def test_every_route_is_in_the_api_ref_and_nothing_else():
    assert set(_sections()) == {(r.method, r.path) for r in openapi.ROUTES}


@pytest.mark.parametrize('route', sorted(_handlers()))
def test_every_request_parameter_is_listed(route):
    schemas = _handlers()[route].api_schemas
    listed = {name for name, _key in _sections()[route]}
    for kind in ('query', 'body'):
        properties = (schemas[kind] or {}).get('properties', {})
        missing = set(properties) - listed
        assert not missing, '%s %s: %s %s not in api-ref' % (
            route[0], route[1], kind, sorted(missing))


def test_every_parameter_key_is_defined_where_it_is_used():
    parameters = yaml.safe_load((API_REF / 'parameters.yaml').read_text())
    for (method, path), listed in _sections().items():
        for name, key in listed:
            assert key in parameters, key
            where = parameters[key]['in']
            if where == 'path':
                assert '{%s}' % name in path, (method, path, name)
            elif where == 'query':
                assert method == 'GET', (method, path, name)


@pytest.mark.parametrize('route,sample', [
    (('POST', '/api/v1/analyze'), 'analyze-request.json'),
    (('POST', '/api/v1/predict-cost'), 'predict-cost-request.json'),
])
def test_request_samples_are_valid(route, sample):
    body = json.loads((API_REF / 'samples' / sample).read_text())
    jsonschema.validate(body, _handlers()[route].api_schemas['body'])
