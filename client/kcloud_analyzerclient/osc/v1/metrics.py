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
"""``openstack analyzer metric list``: the rolled-up usage of
workloads."""

from osc_lib.command import command
from osc_lib import utils

from kcloud_analyzerclient.osc import utils as analyzer_utils

_COLUMNS = ('workload_id', 'metric', 'unit', 'window_start', 'mean', 'min',
            'max', 'count')
_FORMATTERS = dict.fromkeys(('mean', 'min', 'max'),
                            analyzer_utils.FigureColumn)


class ListMetric(command.Lister):
    """List usage rollups (mean, min, max per window) of workloads."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--workload', metavar='<workload-id>',
                            help='Only this workload.')
        parser.add_argument('--metric', metavar='<metric>',
                            help='Only this metric, e.g. gpu_utilization.')
        analyzer_utils.add_project_option(
            parser, 'Only this project, by name or id (admin).')
        analyzer_utils.add_window(parser)
        parser.add_argument('--limit', type=int, metavar='<n>',
                            help='At most this many (default: all, '
                                 'following the pages).')
        return parser

    def take_action(self, parsed_args):
        rollups = self.app.client_manager.analyzer.metric_list(
            workload_id=parsed_args.workload, metric=parsed_args.metric,
            start=parsed_args.start, end=parsed_args.end,
            project_id=analyzer_utils.project_id(self.app, parsed_args),
            limit=parsed_args.limit)
        return _COLUMNS, [utils.get_dict_properties(
            row, _COLUMNS, formatters=_FORMATTERS) for row in rollups]
