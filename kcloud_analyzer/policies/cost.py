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
from oslo_policy import policy

from kcloud_analyzer.policies import base

rules = [
    policy.DocumentedRuleDefault(
        name=base.PREFIX % 'cost:get',
        check_str=base.PROJECT_READER_OR_ADMIN,
        deprecated_rule=base.deprecated(
            'cost:get', base.LEGACY_PROJECT_READER_OR_ADMIN),
        description="Show a workload's cost per hour, its breakdown and "
                    "its totals over a period.",
        operations=[{'path': '/api/v1/cost/{workload_id}', 'method': 'GET'}],
        scope_types=['project', 'system']),
    policy.DocumentedRuleDefault(
        name=base.PREFIX % 'cost:summary',
        check_str=base.PROJECT_READER_OR_ADMIN,
        deprecated_rule=base.deprecated(
            'cost:summary', base.LEGACY_PROJECT_READER_OR_ADMIN),
        description='Summarise the costs of the project of the token.',
        operations=[{'path': '/api/v1/cost', 'method': 'GET'}],
        scope_types=['project', 'system']),
    policy.DocumentedRuleDefault(
        name=base.PREFIX % 'cost:summary_all_projects',
        check_str=base.ADMIN_OR_SYSTEM_READER,
        deprecated_rule=base.deprecated(
            'cost:summary_all_projects', base.LEGACY_ADMIN_OR_SYSTEM_READER),
        description='Summarise the costs of every project, or of a '
                    'project other than the one of the token.',
        operations=[{'path': '/api/v1/cost?project_id={project_id}',
                     'method': 'GET'},
                    {'path': '/api/v1/cost/forecast?project_id={project_id}',
                     'method': 'GET'}],
        scope_types=['project', 'system']),
    policy.DocumentedRuleDefault(
        name=base.PREFIX % 'cost:forecast',
        check_str=base.PROJECT_READER_OR_ADMIN,
        deprecated_rule=base.deprecated(
            'cost:forecast', base.LEGACY_PROJECT_READER_OR_ADMIN),
        description="Forecast the month-end spend of the token's project "
                    'and of its workloads.',
        operations=[{'path': '/api/v1/cost/forecast', 'method': 'GET'}],
        scope_types=['project', 'system']),
    policy.DocumentedRuleDefault(
        name=base.PREFIX % 'cost:reprocess',
        check_str=base.ADMIN_ALL_PROJECTS,
        deprecated_rule=base.deprecated('cost:reprocess', base.ADMIN),
        description='Recompute the cost records of a past window, for one '
                    'project or all, after a rate card change or late '
                    'data.',
        operations=[{'path': '/api/v1/cost/reprocess', 'method': 'POST'}],
        scope_types=['project', 'system']),
]


def list_rules():
    return rules
