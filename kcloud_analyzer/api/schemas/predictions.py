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
from kcloud_analyzer.api.schemas import analyze
from kcloud_analyzer.api.schemas import common
from kcloud_analyzer.api.schemas import workloads

request = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['duration_hours'],
    'properties': {
        'workload_id': common.workload_id,
        'type': {'type': 'string', 'enum': common.WORKLOAD_TYPES},
        'resources': workloads.resources,
        'usage_pattern': analyze.usage_pattern,
        'duration_hours': {'type': 'number', 'exclusiveMinimum': 0,
                           'maximum': 24 * 366},
    },
    # Either an existing workload, or the resources of a planned one.
    'anyOf': [{'required': ['workload_id']}, {'required': ['resources']}],
}

response = {
    'type': 'object',
    'required': ['id', 'model', 'currency', 'duration_hours',
                 'cost_per_hour', 'total'],
    'properties': {
        'id': {'type': 'string'},
        'workload_id': common.nullable_string,
        'model': {'type': 'string'},
        'model_version': {'type': ['integer', 'null']},
        'currency': {'type': 'string'},
        'duration_hours': {'type': 'number'},
        'cost_per_hour': {'type': 'number'},
        'total': {'type': 'number'},
        'lower': common.nullable_number,
        'upper': common.nullable_number,
        'interval_level': {'type': 'number'},
        'assumed_accelerator': common.nullable_string,
        'created_at': common.timestamp,
    },
}
