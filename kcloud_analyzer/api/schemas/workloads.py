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
from kcloud_analyzer.api.schemas import common

resources = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'cpu_cores': {'type': 'number', 'minimum': 0, 'maximum': 100000},
        'memory_gb': {'type': 'number', 'minimum': 0, 'maximum': 1e7},
        'gpu_count': {'type': 'integer', 'minimum': 0, 'maximum': 4096},
        'npu_count': {'type': 'integer', 'minimum': 0, 'maximum': 4096},
        'accelerator': {'type': ['string', 'null'], 'maxLength': 64,
                        'pattern': r'^[^\x00]*$'},
        'storage_gb': {'type': 'number', 'minimum': 0, 'maximum': 1e9},
    },
}

workload = {
    'type': 'object',
    'required': ['workload_id', 'project_id', 'status', 'type',
                 'resources', 'links'],
    'properties': {
        'workload_id': {'type': 'string'},
        'name': common.nullable_string,
        'project_id': {'type': 'string'},
        'status': {'type': 'string'},
        'type': {'type': ['string', 'null'],
                 'enum': common.CLASSIFIED_TYPES + [None]},
        'declared_type': {'type': ['string', 'null']},
        'classified_type': {'type': ['string', 'null']},
        'confidence': common.nullable_number,
        'reason': common.nullable_string,
        'resources': {'type': 'object'},
        'accelerator': common.nullable_string,
        'profile': {'type': ['object', 'null']},
        'instances': {'type': 'array', 'items': {'type': 'string'}},
        'started_at': common.timestamp,
        'ended_at': common.timestamp,
        'created_at': common.timestamp,
        'updated_at': common.timestamp,
        'links': common.links,
    },
}

list_query = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'limit': common.limit,
        'marker': common.workload_id,
        'type': {'type': 'string', 'enum': common.CLASSIFIED_TYPES},
        'status': {'type': 'string', 'enum': ['active', 'deleted']},
        'project_id': common.project_id,
    },
}

list_response = {
    'type': 'object',
    'required': ['workloads'],
    'properties': {
        'workloads': {'type': 'array', 'items': workload},
        'links': common.links,
    },
}
