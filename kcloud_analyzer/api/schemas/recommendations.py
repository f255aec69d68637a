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

list_query = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'workload_id': common.workload_id,
        'project_id': common.project_id,
        'limit': common.limit,
        'state': {'type': 'string', 'enum': ['open', 'applied']},
    },
}

#: what a recommendation advises, as ``/analyze`` returns it
advice = {
    'type': 'object',
    'required': ['kind', 'action', 'monthly_saving', 'currency',
                 'confidence', 'expected_monthly_saving'],
    'properties': {
        'kind': {'type': 'string'},
        'action': {'type': 'string'},
        'monthly_saving': {'type': 'number'},
        'monthly_kwh': {'type': ['number', 'null']},
        'currency': {'type': 'string'},
        'confidence': {'type': 'number', 'minimum': 0, 'maximum': 1},
        'expected_monthly_saving': {'type': 'number'},
        'evidence': {'type': 'object'},
    },
}

#: a stored recommendation: the advice, of a workload
recommendation = {
    'type': 'object',
    'required': ['id', 'workload_id', 'project_id', *advice['required'],
                 'evidence'],
    'properties': dict(
        advice['properties'],
        id={'type': 'string'},
        workload_id={'type': 'string'},
        project_id={'type': 'string'},
        created_at=common.timestamp,
        state={'type': 'string', 'enum': ['open', 'applied']},
        applied_at=common.timestamp,
        applied_change={'type': ['string', 'null'],
                        'enum': ['resize', 'accelerators_released',
                                 'delete', None]},
        realised_monthly_saving={'type': ['number', 'null']},
        realised_monthly_kwh={'type': ['number', 'null']},
        realised_at=common.timestamp),
}

list_response = {
    'type': 'object',
    'required': ['recommendations'],
    'properties': {
        'recommendations': {'type': 'array', 'items': recommendation},
    },
}
