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
"""Personas shared by every resource's rules (Keystone's secure RBAC).

Keystone's default role hierarchy makes ``admin`` imply ``member`` and
``member`` imply ``reader``, so a token always carries the weaker roles
of the one it was granted.
"""

from oslo_policy import policy

PREFIX = 'kcloud-analyzer:%s'

ADMIN = 'rule:admin'
SYSTEM_READER = 'rule:system_reader'
PROJECT_READER = 'rule:project_reader'
PROJECT_MEMBER = 'rule:project_member'

# Reads of one project's resources: the project's readers, and the
# cloud-wide personas that may look at every project.
ADMIN_OR_SYSTEM_READER = '%s or %s' % (ADMIN, SYSTEM_READER)
PROJECT_READER_OR_ADMIN = '%s or %s or %s' % (
    ADMIN, SYSTEM_READER, PROJECT_READER)
PROJECT_MEMBER_OR_ADMIN = '%s or %s' % (ADMIN, PROJECT_MEMBER)
ANY_READER = 'role:reader'

rules = [
    policy.RuleDefault(
        name='admin',
        check_str='role:admin',
        description='Cloud administrator.'),
    policy.RuleDefault(
        name='system_reader',
        check_str='role:reader and system_scope:all',
        description='Read-only access to every project, with a '
                    'system-scoped token.'),
    policy.RuleDefault(
        name='project_reader',
        check_str='role:reader and project_id:%(project_id)s',
        description='Read-only access to the resources of the project '
                    'the token is scoped to.'),
    policy.RuleDefault(
        name='project_member',
        check_str='role:member and project_id:%(project_id)s',
        description='Read and write access to the resources of the '
                    'project the token is scoped to.'),
]


def list_rules():
    return rules
