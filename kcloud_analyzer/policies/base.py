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

An ``admin`` token scoped to a project is that project's administrator:
it sees and changes its own project only. Every project is open to the
system-scoped administrator and reader, and to whoever the
``admin_all_projects`` rule lets in (``role:admin`` there restores the
older behaviour in which an admin token of any project saw every project,
for clouds whose clients cannot ask for a system-scoped token). The rules
these defaults replaced are kept as deprecated rules: with
``[oslo_policy] enforce_new_defaults = False`` either one allows.
"""

from oslo_policy import policy

PREFIX = 'kcloud-analyzer:%s'

ADMIN = 'rule:admin'
ADMIN_ALL_PROJECTS = 'rule:admin_all_projects'
SYSTEM_READER = 'rule:system_reader'
PROJECT_ADMIN = 'rule:project_admin'
PROJECT_READER = 'rule:project_reader'
PROJECT_MEMBER = 'rule:project_member'

# Reads of one project's resources: the project's readers, and the
# cloud-wide personas that may look at every project.
ADMIN_OR_SYSTEM_READER = '%s or %s' % (ADMIN_ALL_PROJECTS, SYSTEM_READER)
PROJECT_READER_OR_ADMIN = '%s or %s or %s or %s' % (
    ADMIN_ALL_PROJECTS, SYSTEM_READER, PROJECT_ADMIN, PROJECT_READER)
PROJECT_MEMBER_OR_ADMIN = '%s or %s or %s' % (
    ADMIN_ALL_PROJECTS, PROJECT_ADMIN, PROJECT_MEMBER)
ANY_READER = 'role:reader'

#: the defaults before a project-scoped admin was limited to its project
LEGACY_ADMIN_OR_SYSTEM_READER = 'rule:admin or rule:system_reader'
LEGACY_PROJECT_READER_OR_ADMIN = ('rule:admin or rule:system_reader or '
                                  'rule:project_reader')
LEGACY_PROJECT_MEMBER_OR_ADMIN = 'rule:admin or rule:project_member'

_DEPRECATED_REASON = (
    'An admin token scoped to a project no longer sees or changes the '
    'other projects: a system-scoped admin token does, or whoever the '
    'admin_all_projects rule allows.')
_DEPRECATED_SINCE = '2026.2'


def deprecated(name, check_str):
    """The rule ``name`` had before project admins were limited to their
    project (honoured with ``enforce_new_defaults = False``)."""
    return policy.DeprecatedRule(
        name=PREFIX % name, check_str=check_str,
        deprecated_reason=_DEPRECATED_REASON,
        deprecated_since=_DEPRECATED_SINCE)


rules = [
    policy.RuleDefault(
        name='admin',
        check_str='role:admin',
        description='A token with the admin role, whatever its scope.'),
    policy.RuleDefault(
        name='system_admin',
        check_str='role:admin and system_scope:all',
        description='Cloud administrator: an admin token scoped to the '
                    'system.'),
    policy.RuleDefault(
        name='admin_all_projects',
        check_str='rule:system_admin',
        description='Administrators who see and act on the resources of '
                    'every project. By default a system-scoped admin only; '
                    'set it to "role:admin" to let an admin token of any '
                    'project act on every project (the behaviour before '
                    'secure RBAC, for clients that cannot ask for a '
                    'system-scoped token).'),
    policy.RuleDefault(
        name='project_admin',
        check_str='role:admin and project_id:%(project_id)s',
        description='Administrator of the project the token is scoped '
                    'to: its own project only.'),
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
