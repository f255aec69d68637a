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
from kcloud_analyzer.api.schemas import recommendations
from kcloud_analyzer.api.schemas import workloads
from kcloud_analyzer.common import metrics

#: the most usage samples one request may carry
MAX_SAMPLES = 20000


usage_pattern = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        metric: {'type': 'number', 'minimum': 0,
                 'maximum': metrics.PLAUSIBLE_MAXIMUM[unit]}
        for metric, unit in metrics.UNITS.items()
    },
}

sample = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['timestamp', 'metric', 'value'],
    'properties': {
        'timestamp': common.date_time,
        'metric': common.metric_name,
        'value': {'type': 'number', 'minimum': 0,
                  'maximum': max(metrics.PLAUSIBLE_MAXIMUM.values())},
    },
}

request = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['workload_id', 'resources'],
    'properties': {
        'workload_id': common.workload_id,
        'name': common.text,
        'type': {'type': 'string', 'enum': common.WORKLOAD_TYPES},
        'resources': workloads.resources,
        'usage_pattern': usage_pattern,
        'usage': {'type': 'array', 'maxItems': MAX_SAMPLES,
                  'items': sample},
    },
    # Something measured to analyse: means, or a series.
    'anyOf': [
        {'required': ['usage_pattern'],
         'properties': {'usage_pattern': {'minProperties': 1}}},
        {'required': ['usage'], 'properties': {'usage': {'minItems': 1}}},
    ],
}

response = {
    'type': 'object',
    'required': ['workload_id', 'type', 'confidence', 'profile', 'energy',
                 'cost', 'recommendations'],
    'properties': {
        'workload_id': {'type': 'string'},
        'declared_type': common.nullable_string,
        'type': {'type': 'string', 'enum': common.CLASSIFIED_TYPES},
        'confidence': {'type': 'number'},
        'classifier': {'type': 'string'},
        'assumed_accelerator': common.nullable_string,
        'reason': common.nullable_string,
        'deciding_features': {'type': 'array', 'items': {'type': 'string'}},
        'probabilities': {
            'type': 'object',
            'properties': {label: {'type': 'number'}
                           for label in common.WORKLOAD_TYPES},
        },
        'evidence': {
            'type': 'array',
            'items': {
                'type': 'object',
                'required': ['source', 'points_to'],
                'properties': {'source': {'type': 'string'},
                               'points_to': {'type': 'string'}},
            },
        },
        'profile': {'type': 'object'},
        'energy': {
            'type': 'object',
            'description': 'The energy profile (energy_kwh: measured; '
                           'estimated_energy_kwh: with the gaps between '
                           'samples estimated) and what the energy line '
                           'was billed: billed_kwh, of which '
                           'estimated_kwh was estimated (estimated is '
                           'true then); power_estimate says how the power '
                           'of a workload that measured none was '
                           'estimated (utilization_curve or '
                           'rate_card_power_watts), null when measured.',
            'properties': {
                'billed_kwh': {'type': 'number'},
                'estimated_kwh': {'type': 'number'},
                'estimated': {'type': 'boolean'},
                'power_estimate': {
                    'type': ['string', 'null'],
                    'enum': ['utilization_curve', 'rate_card_power_watts',
                             None]},
            },
        },
        'cost': {
            'type': 'object',
            'required': ['cost_per_hour', 'cost_breakdown', 'currency'],
            'properties': {
                'cost_per_hour': {'type': 'number'},
                'cost_breakdown': common.cost_breakdown,
                'currency': {'type': 'string'},
                'idle_cost_per_hour': {'type': 'number'},
            },
        },
        'recommendations': {'type': 'array', 'items': recommendations.advice},
        'links': common.links,
    },
}
