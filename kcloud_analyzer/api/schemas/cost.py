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

basis = {'type': 'string', 'enum': ['allocation', 'usage']}

get_query = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'start': common.date_time,
        'end': common.date_time,
        'basis': basis,
    },
}

_totals_lines = common.COST_LINES + ['idle', 'total']

#: the part of energy_kwh that was estimated (gaps between power samples,
#: or power estimated from utilisation), null for records written before
#: it was kept
_estimated_kwh = dict(common.nullable_number,
                      description='Estimated part of energy_kwh (not '
                                  'measured).')

cost = {
    'type': 'object',
    'required': ['workload_id', 'timestamp', 'cost_per_hour',
                 'cost_breakdown', 'currency', 'basis', 'totals'],
    'properties': {
        'workload_id': {'type': 'string'},
        'timestamp': common.timestamp,
        'cost_per_hour': common.nullable_number,
        'cost_breakdown': {'oneOf': [common.cost_breakdown,
                                     {'type': 'null'}]},
        'currency': common.nullable_string,
        'basis': basis,
        'totals': {
            'type': 'object',
            'required': ['start', 'end', 'hours'] + _totals_lines,
            'properties': dict(
                {line: {'type': 'number'} for line in _totals_lines},
                start=common.timestamp, end=common.timestamp,
                hours={'type': 'integer'},
                energy_kwh=common.nullable_number,
                estimated_kwh=_estimated_kwh,
                carbon_kg=common.nullable_number),
        },
    },
}

summary_query = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'group_by': {'type': 'string',
                     'enum': ['project', 'workload', 'type', 'accelerator']},
        'period': {'type': 'string', 'enum': ['hour', 'day', 'month']},
        'start': common.date_time,
        'end': common.date_time,
        'basis': basis,
        'project_id': common.project_id,
    },
}

summary = {
    'type': 'object',
    'required': ['group_by', 'period', 'basis', 'summary'],
    'properties': {
        'group_by': {'type': 'string'},
        'period': {'type': 'string'},
        'basis': basis,
        'start': common.timestamp,
        'end': common.timestamp,
        'summary': {
            'type': 'array',
            'items': {
                'type': 'object',
                'required': ['group', 'period_start', 'currency', 'hours',
                             'total'],
                'properties': dict(
                    {line: {'type': 'number'} for line in _totals_lines},
                    group=common.nullable_string,
                    period_start=common.timestamp,
                    currency={'type': 'string'},
                    hours={'type': 'integer'},
                    energy_kwh=common.nullable_number,
                    estimated_kwh=_estimated_kwh,
                    carbon_kg=common.nullable_number),
            },
        },
    },
}

forecast_query = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'group_by': {'type': 'string', 'enum': ['project', 'workload']},
        'basis': basis,
        'project_id': common.project_id,
    },
}

forecast = {
    'type': 'object',
    'required': ['group_by', 'basis', 'month_start', 'month_end', 'now',
                 'interval_level', 'forecasts'],
    'properties': {
        'group_by': {'type': 'string'},
        'basis': basis,
        'month_start': common.timestamp,
        'month_end': common.timestamp,
        'now': common.timestamp,
        'interval_level': {'type': 'number'},
        'forecasts': {
            'type': 'array',
            'items': {
                'type': 'object',
                'required': ['group', 'currency', 'so_far', 'forecast',
                             'lower', 'upper', 'rest', 'hours_left'],
                'properties': {
                    'group': common.nullable_string,
                    'currency': {'type': 'string'},
                    'so_far': {'type': 'number', 'minimum': 0},
                    'rest': {'type': 'number', 'minimum': 0},
                    'forecast': {'type': 'number', 'minimum': 0},
                    'lower': {'type': 'number', 'minimum': 0},
                    'upper': {'type': 'number', 'minimum': 0},
                    'hours_left': {'type': 'integer'},
                    'method': common.nullable_string,
                },
            },
        },
    },
}

reprocess_request = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['start', 'end'],
    'properties': {
        'start': common.date_time,
        'end': common.date_time,
        'project_id': common.project_id,
    },
}

_reprocess_totals = {
    'type': 'object',
    'required': ['total', 'hours'],
    'properties': {
        'total': {'type': 'number'},
        'energy_kwh': common.nullable_number,
        'hours': {'type': 'integer'},
    },
}

reprocess = {
    'type': 'object',
    'required': ['start', 'end', 'project_id', 'records_written', 'before',
                 'after'],
    'properties': {
        'start': common.timestamp,
        'end': common.timestamp,
        'project_id': common.nullable_string,
        'records_written': {'type': 'integer'},
        'currency': common.nullable_string,
        'before': _reprocess_totals,
        'after': _reprocess_totals,
    },
}
