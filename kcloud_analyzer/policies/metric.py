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
        name=base.PREFIX % 'metric:list',
        check_str=base.PROJECT_READER_OR_ADMIN,
        deprecated_rule=base.deprecated(
            'metric:list', base.LEGACY_PROJECT_READER_OR_ADMIN),
        description='List the usage rollups of the workloads of the '
                    'project of the token.',
        operations=[{'path': '/api/v1/metrics', 'method': 'GET'}],
        scope_types=['project', 'system']),
    policy.DocumentedRuleDefault(
        name=base.PREFIX % 'metric:list_all_projects',
        check_str=base.ADMIN_OR_SYSTEM_READER,
        deprecated_rule=base.deprecated(
            'metric:list_all_projects', base.LEGACY_ADMIN_OR_SYSTEM_READER),
        description='List the usage rollups of every project.',
        operations=[{'path': '/api/v1/metrics?project_id={project_id}',
                     'method': 'GET'}],
        scope_types=['project', 'system']),
    policy.DocumentedRuleDefault(
        name=base.PREFIX % 'prometheus:get',
        check_str=base.ADMIN_OR_SYSTEM_READER,
        deprecated_rule=base.deprecated(
            'prometheus:get', base.LEGACY_ADMIN_OR_SYSTEM_READER),
        description='Read the Prometheus exposition of the API from an '
                    'address outside [api] metrics_allowed_cidrs (from '
                    'those, no token is needed).',
        operations=[{'path': '/metrics', 'method': 'GET'}],
        scope_types=['project', 'system']),
]


def list_rules():
    return rules
