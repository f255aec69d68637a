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
"""``openstack analyzer recommendation list``."""

from osc_lib.command import command
from osc_lib import utils

from kcloud_analyzerclient.osc import utils as analyzer_utils

_COLUMNS = ('workload_id', 'kind', 'action', 'monthly_saving', 'currency',
            'monthly_kwh', 'confidence', 'expected_monthly_saving')
#: an applied recommendation: what it promised next to what it realised
_APPLIED_COLUMNS = ('workload_id', 'kind', 'action', 'applied_change',
                    'applied_at', 'monthly_saving', 'realised_monthly_saving',
                    'monthly_kwh', 'realised_monthly_kwh', 'currency')
_FORMATTERS = {'monthly_saving': analyzer_utils.MoneyColumn,
               'realised_monthly_saving': analyzer_utils.MoneyColumn,
               'realised_monthly_kwh': analyzer_utils.FigureColumn,
               'monthly_kwh': analyzer_utils.FigureColumn,
               'expected_monthly_saving': analyzer_utils.MoneyColumn,
               'confidence': analyzer_utils.ShareColumn,
               'evidence': analyzer_utils.RoundedDictColumn}


class ListRecommendation(command.Lister):
    """List ways to lower cost, the largest monthly saving first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--workload', metavar='<workload-id>',
                            help='Only this workload.')
        analyzer_utils.add_project_option(
            parser, 'Only this project, by name or id (admin).')
        parser.add_argument('--limit', type=int, metavar='<n>',
                            help='At most this many.')
        parser.add_argument('--state', choices=('open', 'applied'),
                            help='Only open ones, or only those acted on '
                                 '(applied: with the saving and kWh a '
                                 'month they realised next to the saving '
                                 'promised).')
        parser.add_argument('--long', action='store_true',
                            help='Also show the project and the evidence.')
        return parser

    def take_action(self, parsed_args):
        rows = self.app.client_manager.analyzer.recommendation_list(
            workload_id=parsed_args.workload,
            project_id=analyzer_utils.project_id(self.app, parsed_args),
            limit=parsed_args.limit, state=parsed_args.state)
        shown = (_APPLIED_COLUMNS if parsed_args.state == 'applied'
                 else _COLUMNS)
        columns = shown + (
            ('project_id', 'evidence') if parsed_args.long else ())
        return columns, [utils.get_dict_properties(
            row, columns, formatters=_FORMATTERS) for row in rows]
