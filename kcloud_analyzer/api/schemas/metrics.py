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
        'metric': common.metric_name,
        'start': common.date_time,
        'end': common.date_time,
        'limit': common.limit,
        'marker': {'type': 'integer', 'minimum': 1,
                   'maximum': 2 ** 63 - 1},
        'project_id': common.project_id,
    },
}

rollup = {
    'type': 'object',
    'required': ['id', 'workload_id', 'metric', 'window_start', 'mean',
                 'min', 'max', 'count'],
    'properties': {
        'id': {'type': 'integer'},
        'workload_id': {'type': 'string'},
        'metric': {'type': 'string'},
        'unit': {'type': 'string'},
        'window_start': common.timestamp,
        'mean': {'type': 'number'},
        'min': {'type': 'number'},
        'max': {'type': 'number'},
        'count': {'type': 'integer'},
    },
}

list_response = {
    'type': 'object',
    'required': ['metrics'],
    'properties': {
        'metrics': {'type': 'array', 'items': rollup},
        'links': common.links,
    },
}
