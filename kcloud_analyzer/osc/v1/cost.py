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
"""``openstack analyzer cost show|summary|forecast|predict`` and
``openstack analyzer recommendation list``."""

import json

from osc_lib.cli import format_columns
from osc_lib.command import command
from osc_lib import exceptions
from osc_lib import utils

from kcloud_analyzer.common import metrics

_COST_LINES = ('compute', 'gpu', 'npu', 'storage', 'network', 'energy')
_SUMMARY_COLUMNS = ('group', 'period_start', 'total') + _COST_LINES + (
    'idle', 'energy_kwh', 'estimated_kwh', 'carbon_kg', 'currency', 'hours')
_FORECAST_COLUMNS = ('group', 'so_far', 'forecast', 'lower', 'upper',
                     'currency', 'hours_left', 'method')
_RECOMMENDATION_COLUMNS = ('workload_id', 'kind', 'action', 'monthly_saving',
                           'currency', 'confidence',
                           'expected_monthly_saving')


def _add_window(parser):
    parser.add_argument('--start', metavar='<iso-time>',
                        help='Start of the window (inclusive, ISO 8601).')
    parser.add_argument('--end', metavar='<iso-time>',
                        help='End of the window (exclusive, ISO 8601).')
    parser.add_argument('--basis', choices=('allocation', 'usage'),
                        default='allocation',
                        help='Price what was allocated, or what was used '
                             '(default: allocation).')


class ShowCost(command.ShowOne):
    """Show a workload's cost per hour with its breakdown, and its totals
    over a window."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('workload', metavar='<workload-id>')
        _add_window(parser)
        return parser

    def take_action(self, parsed_args):
        cost = self.app.client_manager.analyzer.cost_show(
            parsed_args.workload, start=parsed_args.start,
            end=parsed_args.end, basis=parsed_args.basis)
        row = {'workload_id': cost['workload_id'], 'basis': cost['basis'],
               'currency': cost['currency'], 'timestamp': cost['timestamp'],
               'cost_per_hour': cost['cost_per_hour']}
        for line in _COST_LINES:
            row['hourly_' + line] = (cost['cost_breakdown'] or {}).get(line)
        for key, value in cost['totals'].items():
            row['total_' + key] = value
        columns = tuple(row)
        return columns, utils.get_dict_properties(row, columns)


class SummaryCost(command.Lister):
    """Sum costs by project, workload, type or accelerator per hour, day or
    month."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--group-by', default='project',
                            choices=('project', 'workload', 'type',
                                     'accelerator'),
                            help='What to sum by (default: project).')
        parser.add_argument('--period', default='day',
                            choices=('hour', 'day', 'month'),
                            help='Period of each row (default: day).')
        parser.add_argument('--project', metavar='<project-id>',
                            help='Only this project (admin).')
        _add_window(parser)
        return parser

    def take_action(self, parsed_args):
        summary = self.app.client_manager.analyzer.cost_summary(
            group_by=parsed_args.group_by, period=parsed_args.period,
            start=parsed_args.start, end=parsed_args.end,
            basis=parsed_args.basis, project_id=parsed_args.project)
        return (_SUMMARY_COLUMNS,
                [utils.get_dict_properties(row, _SUMMARY_COLUMNS)
                 for row in summary['summary']])


class ForecastCost(command.Lister):
    """Forecast this month's spend per project or workload: the cost so
    far plus the forecast of the rest of the month, with an 80 % interval
    (lower, upper)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--group-by', default='project',
                            choices=('project', 'workload'),
                            help='Per project or per workload (default: '
                                 'project).')
        parser.add_argument('--project', metavar='<project-id>',
                            help='Only this project (admin).')
        parser.add_argument('--basis', choices=('allocation', 'usage'),
                            default='allocation',
                            help='Price what was allocated, or what was '
                                 'used (default: allocation).')
        return parser

    def take_action(self, parsed_args):
        result = self.app.client_manager.analyzer.cost_forecast(
            group_by=parsed_args.group_by, basis=parsed_args.basis,
            project_id=parsed_args.project)
        return (_FORECAST_COLUMNS,
                [utils.get_dict_properties(row, _FORECAST_COLUMNS)
                 for row in result['forecasts']])


class PredictCost(command.ShowOne):
    """Predict the cost of an existing or planned workload over a
    duration."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--workload', metavar='<workload-id>',
                            help='An existing workload.')
        parser.add_argument('--type', choices=metrics.WORKLOAD_TYPES,
                            help='Class of a planned workload.')
        parser.add_argument('--resources', metavar='<json>',
                            help='Resources of a planned workload, e.g. '
                                 '\'{"cpu_cores": 16, "memory_gb": 128, '
                                 '"gpu_count": 2, "accelerator": "A100"}\'.')
        parser.add_argument('--hours', type=float, required=True,
                            help='Expected duration in hours.')
        return parser

    def take_action(self, parsed_args):
        body = {'duration_hours': parsed_args.hours}
        if parsed_args.workload:
            body['workload_id'] = parsed_args.workload
        if parsed_args.type:
            body['type'] = parsed_args.type
        if parsed_args.resources:
            try:
                body['resources'] = json.loads(parsed_args.resources)
            except ValueError as exc:
                raise exceptions.CommandError(
                    '--resources is not valid JSON: %s' % exc)
        if 'workload_id' not in body and 'resources' not in body:
            raise exceptions.CommandError(
                'Give --workload or --resources.')
        prediction = self.app.client_manager.analyzer.predict_cost(body)
        columns = tuple(sorted(prediction))
        return columns, utils.get_dict_properties(prediction, columns)


class ListRecommendation(command.Lister):
    """List ways to lower cost, the largest monthly saving first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--workload', metavar='<workload-id>',
                            help='Only this workload.')
        parser.add_argument('--project', metavar='<project-id>',
                            help='Only this project (admin).')
        parser.add_argument('--long', action='store_true',
                            help='Also show the evidence.')
        return parser

    def take_action(self, parsed_args):
        rows = self.app.client_manager.analyzer.recommendation_list(
            workload_id=parsed_args.workload,
            project_id=parsed_args.project)
        columns = _RECOMMENDATION_COLUMNS + (
            ('evidence',) if parsed_args.long else ())
        return columns, [utils.get_dict_properties(
            row, columns, formatters={'evidence': format_columns.DictColumn})
            for row in rows]
