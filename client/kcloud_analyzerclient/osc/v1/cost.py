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
"""``openstack analyzer cost show|summary|predict|forecast``."""

from osc_lib.command import command
from osc_lib import exceptions
from osc_lib import utils

from kcloud_analyzerclient.osc import utils as analyzer_utils

_LINES = analyzer_utils.COST_LINES
_SUMMARY_COLUMNS = ('group', 'period_start', 'total') + _LINES + (
    'idle', 'energy_kwh', 'carbon_kg', 'currency', 'hours')
_MONEY = dict.fromkeys(('total', 'idle') + _LINES,
                       analyzer_utils.MoneyColumn)
_FIGURES = dict.fromkeys(('energy_kwh', 'carbon_kg'),
                         analyzer_utils.FigureColumn)


class ShowCost(command.ShowOne):
    """Show a workload's cost per hour with its breakdown, and its totals
    over a window."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('workload', metavar='<workload-id>')
        analyzer_utils.add_window(parser)
        analyzer_utils.add_basis(parser)
        return parser

    def take_action(self, parsed_args):
        cost = self.app.client_manager.analyzer.cost_show(
            parsed_args.workload, start=parsed_args.start,
            end=parsed_args.end, basis=parsed_args.basis)
        totals = cost['totals']
        row = {'workload_id': cost['workload_id'], 'basis': cost['basis'],
               'currency': cost['currency'],
               'latest_hour': cost['timestamp'],
               'cost_per_hour': cost['cost_per_hour']}
        formatters = {'cost_per_hour': analyzer_utils.RateColumn}
        for line in _LINES:
            row['hourly_' + line] = (cost['cost_breakdown'] or {}).get(line)
            formatters['hourly_' + line] = analyzer_utils.RateColumn
        row.update(start=totals['start'], end=totals['end'],
                   hours=totals['hours'], total=totals['total'])
        formatters['total'] = analyzer_utils.MoneyColumn
        for line in _LINES + ('idle',):
            row['total_' + line] = totals[line]
            formatters['total_' + line] = analyzer_utils.MoneyColumn
        row.update(energy_kwh=totals.get('energy_kwh'),
                   carbon_kg=totals.get('carbon_kg'))
        formatters.update(_FIGURES)
        columns = tuple(row)
        return columns, utils.get_dict_properties(row, columns,
                                                  formatters=formatters)


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
        analyzer_utils.add_project_option(
            parser, 'Only this project, by name or id (admin).')
        analyzer_utils.add_window(parser)
        analyzer_utils.add_basis(parser)
        return parser

    def take_action(self, parsed_args):
        summary = self.app.client_manager.analyzer.cost_summary(
            group_by=parsed_args.group_by, period=parsed_args.period,
            start=parsed_args.start, end=parsed_args.end,
            basis=parsed_args.basis,
            project_id=analyzer_utils.project_id(self.app, parsed_args))
        formatters = dict(_MONEY, **_FIGURES)
        return (_SUMMARY_COLUMNS,
                [utils.get_dict_properties(row, _SUMMARY_COLUMNS,
                                           formatters=formatters)
                 for row in summary['summary']])


class PredictCost(command.ShowOne):
    """Predict the cost of an existing or planned workload over a
    duration."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--workload', metavar='<workload-id>',
                            help='An existing workload.')
        parser.add_argument('--type',
                            choices=analyzer_utils.WORKLOAD_TYPES[:3],
                            help='Class of a planned workload.')
        parser.add_argument('--resources', metavar='<json>',
                            help='Resources of a planned workload, e.g. '
                                 '\'{"cpu_cores": 16, "memory_gb": 128, '
                                 '"gpu_count": 2, "accelerator": "A100"}\'.')
        parser.add_argument('--usage-pattern', metavar='<json>',
                            help='Expected mean usage per metric, e.g. '
                                 '\'{"gpu_utilization": 85}\'.')
        parser.add_argument('--duration-hours', type=float, required=True,
                            metavar='<hours>',
                            help='Expected duration in hours.')
        return parser

    def take_action(self, parsed_args):
        body = {'duration_hours': parsed_args.duration_hours}
        if parsed_args.workload:
            body['workload_id'] = parsed_args.workload
        if parsed_args.type:
            body['type'] = parsed_args.type
        if parsed_args.resources:
            body['resources'] = analyzer_utils.json_option(
                parsed_args.resources, '--resources')
        if parsed_args.usage_pattern:
            body['usage_pattern'] = analyzer_utils.json_option(
                parsed_args.usage_pattern, '--usage-pattern')
        if 'workload_id' not in body and 'resources' not in body:
            raise exceptions.CommandError(
                'Give --workload or --resources.')
        prediction = self.app.client_manager.analyzer.predict_cost(body)
        formatters = dict.fromkeys(('total', 'lower', 'upper'),
                                   analyzer_utils.MoneyColumn)
        formatters['cost_per_hour'] = analyzer_utils.RateColumn
        formatters['interval_level'] = analyzer_utils.ShareColumn
        columns = tuple(sorted(prediction))
        return columns, utils.get_dict_properties(prediction, columns,
                                                  formatters=formatters)


_FORECAST_COLUMNS = ('group', 'so_far', 'forecast', 'lower', 'upper',
                     'currency', 'hours_left', 'method')


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
        analyzer_utils.add_project_option(
            parser, 'Only this project, by name or id (admin).')
        analyzer_utils.add_basis(parser)
        return parser

    def take_action(self, parsed_args):
        result = self.app.client_manager.analyzer.cost_forecast(
            group_by=parsed_args.group_by, basis=parsed_args.basis,
            project_id=analyzer_utils.project_id(self.app, parsed_args))
        formatters = dict.fromkeys(('so_far', 'forecast', 'lower', 'upper'),
                                   analyzer_utils.MoneyColumn)
        formatters['hours_left'] = analyzer_utils.FigureColumn
        return (_FORECAST_COLUMNS,
                [utils.get_dict_properties(row, _FORECAST_COLUMNS,
                                           formatters=formatters)
                 for row in result['forecasts']])
