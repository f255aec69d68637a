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
"""The OpenAPI document, built from the same schemas that validate.

:data:`ROUTES` is the whole API surface in one table. The request and
response schemas come from the ``expose`` decorator of each controller
method, so the document cannot drift from what the service checks; a
test asserts that every exposed method is in the table and answers at
the path the table gives.
"""

import collections
import copy

from pbr import version as pbr_version

from kcloud_analyzer.api.controllers.v1 import analyze
from kcloud_analyzer.api.controllers.v1 import cost
from kcloud_analyzer.api.controllers.v1 import metrics
from kcloud_analyzer.api.controllers.v1 import predictions
from kcloud_analyzer.api.controllers.v1 import rates
from kcloud_analyzer.api.controllers.v1 import recommendations
from kcloud_analyzer.api.controllers.v1 import workloads
from kcloud_analyzer.api import microversion
from kcloud_analyzer.api.schemas import common

Route = collections.namedtuple(
    'Route', 'method path handler summary tag')

#: (method, path, controller method or content type, summary, tag)
ROUTES = (
    Route('GET', '/', 'application/json',
          'Discover the API versions.', 'discovery'),
    Route('GET', '/health', 'application/json',
          'Report whether the service and its database answer.',
          'discovery'),
    Route('GET', '/openapi.json', 'application/json',
          'This document.', 'discovery'),
    Route('GET', '/docs', 'text/html',
          'Interactive documentation (Swagger UI).', 'discovery'),
    Route('GET', '/metrics', 'text/plain',
          'Prometheus exposition: requests, latencies, samples ingested, '
          'workloads and cost rate.', 'discovery'),
    Route('POST', '/api/v1/analyze', analyze.AnalyzeController.post,
          'Analyse a workload: class, profile, energy, cost per hour and '
          'recommendations; the workload is stored.', 'analysis'),
    Route('GET', '/api/v1/workloads',
          workloads.WorkloadsController.get_all,
          'List workloads.', 'workloads'),
    Route('GET', '/api/v1/workloads/{workload_id}',
          workloads.WorkloadsController.get_one,
          'Show a workload.', 'workloads'),
    Route('GET', '/api/v1/cost', cost.CostController.get_all,
          'Summarise costs by project, workload, type or accelerator per '
          'hour, day or month.', 'cost'),
    Route('GET', '/api/v1/cost/forecast', cost.ForecastController.get_all,
          'Forecast the month-end spend per project or workload: cost so '
          'far this month plus the forecast of the rest, with an 80 % '
          'interval.', 'cost'),
    Route('POST', '/api/v1/cost/reprocess', cost.ReprocessController.post,
          'Recompute the cost records of a past window from the stored '
          'usage (admin): after a rate card change or late data. '
          'Idempotent; answers the totals before and after.', 'cost'),
    Route('GET', '/api/v1/cost/{workload_id}', cost.CostController.get_one,
          "Show a workload's cost per hour, breakdown and totals.", 'cost'),
    Route('POST', '/api/v1/predict-cost',
          predictions.PredictCostController.post,
          'Predict the cost of a workload over a number of hours.', 'cost'),
    Route('GET', '/api/v1/metrics', metrics.MetricsController.get_all,
          'List usage rollups.', 'metrics'),
    Route('GET', '/api/v1/recommendations',
          recommendations.RecommendationsController.get_all,
          'List recommendations, the largest monthly saving first.',
          'recommendations'),
    Route('GET', '/api/v1/rates', rates.RatesController.get_all,
          'Show the rate card.', 'cost'),
)

_ERROR_STATUSES = {
    400: 'The request does not match its schema.',
    401: 'No valid token.',
    403: 'The token does not allow this operation.',
    404: 'No such resource, or not visible to the token.',
    406: 'The requested microversion is not supported.',
    409: 'The request conflicts with the current state.',
    413: 'The request body is too large.',
    415: 'The request body is not JSON.',
}


def to_openapi30(schema):
    """A JSON Schema (2020-12) rewritten for OpenAPI 3.0, which Swagger
    UI renders: ``null`` becomes ``nullable``, numeric exclusive bounds
    become flags."""
    if isinstance(schema, list):
        return [to_openapi30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {}
    for key, value in schema.items():
        if key in ('properties', 'patternProperties'):
            result[key] = {name: to_openapi30(sub)
                           for name, sub in value.items()}
        else:
            result[key] = to_openapi30(value)
    # 3.0 spells an exclusive bound as a flag on minimum / maximum.
    for exclusive, bound in (('exclusiveMinimum', 'minimum'),
                             ('exclusiveMaximum', 'maximum')):
        value = result.get(exclusive)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            result[bound] = value
            result[exclusive] = True
    kind = result.get('type')
    if isinstance(kind, list):
        others = [k for k in kind if k != 'null']
        if len(others) != len(kind):
            result['nullable'] = True
        result['type'] = others[0] if len(others) == 1 else others
        if len(others) > 1:
            del result['type']
            result['anyOf'] = [{'type': k} for k in others]
    for combiner in ('oneOf', 'anyOf'):
        options = result.get(combiner)
        if options and any(o == {'type': 'null'} for o in options):
            rest = [o for o in options if o != {'type': 'null'}]
            del result[combiner]
            if len(rest) == 1:
                result.update(rest[0])
            else:
                result[combiner] = rest
            result['nullable'] = True
    return result


def _path_parameters(path):
    names = [part[1:-1] for part in path.split('/')
             if part.startswith('{')]
    return [{'name': name, 'in': 'path', 'required': True,
             'schema': to_openapi30(copy.deepcopy(common.workload_id))}
            for name in names]


def _operation(route):
    operation = {
        'summary': route.summary,
        'tags': [route.tag],
        'operationId': '%s %s' % (route.method.lower(), route.path),
    }
    if isinstance(route.handler, str):
        operation['responses'] = {
            '200': {'description': 'OK',
                    'content': {route.handler: {'schema': {}}}}}
        operation['security'] = []
        return operation
    schemas = route.handler.api_schemas
    parameters = _path_parameters(route.path)
    query = schemas['query'] or {}
    required = set(query.get('required', ()))
    for name, spec in query.get('properties', {}).items():
        parameters.append({'name': name, 'in': 'query',
                           'required': name in required,
                           'schema': to_openapi30(copy.deepcopy(spec))})
    parameters.append({'$ref': '#/components/parameters/microversion'})
    operation['parameters'] = parameters
    if schemas['body'] is not None:
        operation['requestBody'] = {
            'required': True,
            'content': {'application/json': {
                'schema': to_openapi30(copy.deepcopy(schemas['body']))}}}
    responses = {str(schemas['status']): {
        'description': 'OK',
        'content': {'application/json': {
            'schema': to_openapi30(copy.deepcopy(schemas['response']))}}}}
    for status, description in _ERROR_STATUSES.items():
        responses[str(status)] = {
            'description': description,
            'content': {'application/json': {
                'schema': {'$ref': '#/components/schemas/Error'}}}}
    operation['responses'] = responses
    return operation


def document(server_url=None):
    """The OpenAPI 3.0 document of the service."""
    paths = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = (
            _operation(route))
    version = microversion.format_version(microversion.MAX_VERSION)
    result = {
        'openapi': '3.0.3',
        'info': {
            'title': 'kcloud-analyzer',
            'version': version,
            'description': (
                'Workload analysis and cost modelling for AI-accelerator '
                'clouds built on OpenStack. Send a Keystone token in '
                '`X-Auth-Token`; choose a microversion with '
                '`OpenStack-API-Version: analyzer X.Y` (%s to %s). '
                'Service version %s.' % (
                    microversion.format_version(microversion.MIN_VERSION),
                    version, pbr_version.VersionInfo(
                        'kcloud-analyzer').version_string())),
            'license': {'name': 'Apache-2.0'},
        },
        'paths': paths,
        'security': [{'keystone': []}],
        'components': {
            'securitySchemes': {'keystone': {
                'type': 'apiKey', 'in': 'header', 'name': 'X-Auth-Token'}},
            'parameters': {'microversion': {
                'name': microversion.HEADER, 'in': 'header',
                'required': False,
                'description': 'The microversion, as "%s X.Y" or "%s '
                               'latest".' % (microversion.SERVICE_TYPE,
                                             microversion.SERVICE_TYPE),
                'schema': {'type': 'string', 'example': '%s %s' % (
                    microversion.SERVICE_TYPE, version)}}},
            'schemas': {'Error': to_openapi30(copy.deepcopy(common.error))},
        },
    }
    if server_url is not None:
        result['servers'] = [{'url': server_url}]
    return result
