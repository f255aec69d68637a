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
"""``openstack analyzer workload list|show``."""

from osc_lib.cli import format_columns
from osc_lib.command import command
from osc_lib import utils

from kcloud_analyzer.common import metrics

_LIST_COLUMNS = ('workload_id', 'name', 'project_id', 'type', 'confidence',
                 'status', 'accelerator')
_SHOW_COLUMNS = ('workload_id', 'name', 'project_id', 'status', 'type',
                 'declared_type', 'classified_type', 'confidence',
                 'accelerator', 'resources', 'instances', 'profile',
                 'started_at', 'ended_at', 'created_at', 'updated_at')


class ListWorkload(command.Lister):
    """List workloads with their class (training, inference, serving)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--type', choices=metrics.WORKLOAD_TYPES,
                            help='Only workloads of this class.')
        parser.add_argument('--status', choices=('active', 'deleted'),
                            help='Only workloads in this state.')
        parser.add_argument('--project', metavar='<project-id>',
                            help='Only this project (admin).')
        parser.add_argument('--limit', type=int, metavar='<n>',
                            help='At most this many (default: all, '
                                 'following the pages).')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.analyzer
        workloads = client.workload_list(
            type=parsed_args.type, status=parsed_args.status,
            project_id=parsed_args.project, limit=parsed_args.limit)
        return (_LIST_COLUMNS,
                [utils.get_dict_properties(w, _LIST_COLUMNS)
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
            workload, _SHOW_COLUMNS,
            formatters={'resources': format_columns.DictColumn,
                        'profile': format_columns.DictColumn,
                        'instances': format_columns.ListColumn})
