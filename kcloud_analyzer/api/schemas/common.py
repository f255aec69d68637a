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
"""Pieces shared by the schemas of several resources."""

from kcloud_analyzer.common import metrics

WORKLOAD_TYPES = list(metrics.WORKLOAD_TYPES)
#: what a classification may answer: a class, or unknown (evidence too
#: weak, the reason given)
CLASSIFIED_TYPES = WORKLOAD_TYPES + ['unknown']

workload_id = {
    'type': 'string', 'minLength': 1, 'maxLength': 255,
    # Ids travel in URL paths: no slashes, no control characters.
    'pattern': r'^[^/\x00-\x1f\x7f]+$',
}
project_id = {'type': 'string', 'minLength': 1, 'maxLength': 255,
              'pattern': r'^[^\x00-\x1f\x7f]+$'}
# Free text that databases store: PostgreSQL refuses NUL characters.
text = {'type': 'string', 'maxLength': 255, 'pattern': r'^[^\x00]*$'}
date_time = {'type': 'string', 'format': 'date-time', 'maxLength': 64}
limit = {'type': 'integer', 'minimum': 1, 'maximum': 1000}
metric_name = {'type': 'string', 'enum': list(metrics.CANONICAL_METRICS)}
nullable_string = {'type': ['string', 'null']}
nullable_number = {'type': ['number', 'null']}
timestamp = {'type': ['string', 'null'], 'format': 'date-time'}

links = {
    'type': 'array',
    'items': {
        'type': 'object',
        'required': ['rel', 'href'],
        'properties': {'rel': {'type': 'string'},
                       'href': {'type': 'string'}},
    },
}

COST_LINES = ['compute', 'gpu', 'npu', 'storage', 'network', 'energy']

cost_breakdown = {
    'type': 'object',
    'required': COST_LINES,
    'properties': {line: {'type': 'number'} for line in COST_LINES},
}

error = {
    'type': 'object',
    'required': ['errors'],
    'properties': {
        'errors': {
            'type': 'array', 'minItems': 1,
            'items': {
                'type': 'object',
                'required': ['status', 'code', 'title', 'detail',
                             'request_id'],
                'properties': {
                    'status': {'type': 'integer'},
                    'code': {'type': 'string'},
                    'title': {'type': 'string'},
                    'detail': {'type': 'string'},
                    'request_id': {'type': ['string', 'null']},
                },
            },
        },
    },
}
