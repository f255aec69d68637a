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
"""``openstack analyzer workload list|show|analyze``."""

import csv

from osc_lib.cli import format_columns
from osc_lib.command import command
from osc_lib import exceptions
from osc_lib import utils

from kcloud_analyzerclient.osc import utils as analyzer_utils

_LIST_COLUMNS = ('workload_id', 'name', 'project_id', 'type', 'confidence',
                 'status', 'accelerator')
_SHOW_COLUMNS = ('workload_id', 'name', 'project_id', 'status', 'type',
                 'declared_type', 'classified_type', 'confidence',
                 'reason', 'accelerator', 'resources', 'instances', 'profile',
                 'started_at', 'ended_at', 'created_at', 'updated_at')
_FORMATTERS = {'confidence': analyzer_utils.ShareColumn,
               'resources': format_columns.DictColumn,
               'profile': analyzer_utils.RoundedDictColumn,
               'instances': format_columns.ListColumn}


class ListWorkload(command.Lister):
    """List workloads with their class (training, inference, serving,
    unknown)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--type',
                            choices=analyzer_utils.WORKLOAD_TYPES,
                            help='Only workloads of this class.')
        parser.add_argument('--status', choices=('active', 'deleted'),
                            help='Only workloads in this state.')
        analyzer_utils.add_project_option(
            parser, 'Only this project, by name or id (admin).')
        parser.add_argument('--limit', type=int, metavar='<n>',
                            help='At most this many (default: all, '
                                 'following the pages).')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.analyzer
        workloads = client.workload_list(
            type=parsed_args.type, status=parsed_args.status,
            project_id=analyzer_utils.project_id(self.app, parsed_args),
            limit=parsed_args.limit)
        return (_LIST_COLUMNS,
                [utils.get_dict_properties(w, _LIST_COLUMNS,
                                           formatters=_FORMATTERS)
                 for w in workloads])


class ShowWorkload(command.ShowOne):
    """Show a workload: resources, class, confidence and profile."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('workload', metavar='<workload-id>')
        return parser

    def take_action(self, parsed_args):
        workload = self.app.client_manager.analyzer.workload_show(
            parsed_args.workload)
        return _SHOW_COLUMNS, utils.get_dict_properties(
            workload, _SHOW_COLUMNS, formatters=_FORMATTERS)


def _read_usage(path):
    """Samples from a CSV file with the columns timestamp, metric, value
    (the long form of usage.csv, without the workload column)."""
    try:
        with open(path, newline='') as stream:
            rows = list(csv.DictReader(stream))
    except OSError as exc:
        raise exceptions.CommandError('Cannot read %s: %s' % (path, exc))
    samples = []
    for number, row in enumerate(rows, start=2):
        try:
            samples.append({'timestamp': row['timestamp'],
                            'metric': row['metric'],
                            'value': float(row['value'])})
        except (KeyError, TypeError, ValueError):
            raise exceptions.CommandError(
                '%s line %d: expected the columns timestamp, metric, value'
                % (path, number))
    return samples


class AnalyzeWorkload(command.ShowOne):
    """Analyse a workload from its resources and measured usage: class,
    profile, energy, cost per hour and recommendations."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('workload', metavar='<workload-id>',
                            help='Id to record the workload under.')
        parser.add_argument('--name', metavar='<name>')
        parser.add_argument('--type',
                            choices=analyzer_utils.WORKLOAD_TYPES[:3],
                            help='Declared class, if known.')
        parser.add_argument('--resources', metavar='<json>', required=True,
                            help='Allocated resources, e.g. '
                                 '\'{"cpu_cores": 16, "memory_gb": 128, '
                                 '"gpu_count": 2, "accelerator": "A100"}\'.')
        usage = parser.add_mutually_exclusive_group(required=True)
        usage.add_argument('--usage-pattern', metavar='<json>',
                           help='Mean usage per metric, e.g. '
                                '\'{"gpu_utilization": 85}\'.')
        usage.add_argument('--usage', metavar='<csv-file>',
                           help='Usage series: a CSV file with the columns '
                                'timestamp, metric, value.')
        return parser

    def take_action(self, parsed_args):
        body = {'workload_id': parsed_args.workload,
                'resources': analyzer_utils.json_option(
                    parsed_args.resources, '--resources')}
        if parsed_args.name:
            body['name'] = parsed_args.name
        if parsed_args.type:
            body['type'] = parsed_args.type
        if parsed_args.usage_pattern:
            body['usage_pattern'] = analyzer_utils.json_option(
                parsed_args.usage_pattern, '--usage-pattern')
        else:
            body['usage'] = _read_usage(parsed_args.usage)
        result = self.app.client_manager.analyzer.analyze(body)
        cost = result['cost']
        row = {'workload_id': result['workload_id'], 'type': result['type'],
               'confidence': result['confidence'],
               'reason': result.get('reason'),
               'classifier': result.get('classifier'),
               'declared_type': result.get('declared_type'),
               'currency': cost['currency'],
               'cost_per_hour': cost['cost_per_hour']}
        for line in analyzer_utils.COST_LINES:
            row['hourly_' + line] = cost['cost_breakdown'].get(line)
        row['idle_cost_per_hour'] = cost.get('idle_cost_per_hour')
        row['profile'] = result['profile']
        row['energy'] = result['energy']
        row['recommendations'] = [
            '%s: %s (%.2f %s a month)' % (r['kind'], r['action'],
                                          r['monthly_saving'],
                                          r['currency'])
            for r in result['recommendations']]
        formatters = {'confidence': analyzer_utils.ShareColumn,
                      'profile': analyzer_utils.RoundedDictColumn,
                      'energy': analyzer_utils.RoundedDictColumn,
                      'recommendations': format_columns.ListColumn}
        for key in row:
            if key.startswith('hourly_') or key.endswith('per_hour'):
                formatters[key] = analyzer_utils.RateColumn
        columns = tuple(row)
        return columns, utils.get_dict_properties(row, columns,
                                                  formatters=formatters)
