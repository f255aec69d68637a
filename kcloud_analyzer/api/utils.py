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
"""Small helpers shared by the v1 controllers."""

import datetime
import decimal
import urllib.parse

from oslo_policy import policy
import pecan

from kcloud_analyzer.common import exception
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer import policies

#: the most items one page of a list can hold
MAX_LIMIT = 1000


def iso(moment):
    """ISO 8601 in UTC with a Z, or None."""
    if moment is None:
        return None
    return moment.replace(tzinfo=None).isoformat(timespec='seconds') + 'Z'


def money(value):
    """A JSON number for a Decimal amount, or None."""
    if value is None:
        return None
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def authorize(rule, project_id=None):
    """Check ``rule`` for the caller against ``project_id`` (by default
    the caller's own project)."""
    context = pecan.request.context
    target = {'project_id': (project_id if project_id is not None
                             else context.project_id)}
    policies.authorize(pecan.request.enforcer, rule, context, target)


def is_allowed(rule, project_id=None):
    try:
        authorize(rule, project_id)
    except (policy.PolicyNotAuthorized, policy.InvalidScope):
        return False
    return True


def visible_workload(rule, workload_id):
    """The workload if the caller may apply ``rule`` to it.

    A workload of another project is reported as missing, not forbidden,
    so that ids of other projects cannot be probed.
    """
    workload = db_api.workload_get(pecan.request.context, workload_id)
    check_visible(rule, workload_id, workload['project_id'])
    return workload


def check_visible(rule, workload_id, project_id):
    """Raise WorkloadNotFound unless the caller may apply ``rule`` to the
    workload ``workload_id`` of project ``project_id``."""
    if not is_allowed(rule, project_id):
        raise exception.WorkloadNotFound(workload_id=workload_id)


def project_scope(rule_all_projects, project_id=None):
    """The project a listing is limited to, or None for every project.

    Callers allowed ``rule_all_projects`` see every project unless they
    name one; everyone else sees their own project only, and naming
    another project is forbidden.
    """
    context = pecan.request.context
    if is_allowed(rule_all_projects):
        return project_id
    if project_id is not None and project_id != context.project_id:
        authorize(rule_all_projects)
    return context.project_id


def next_link(params, marker):
    """The API-SIG ``links`` list of a page that may have a next page."""
    query = {}
    for key, value in dict(params, marker=marker).items():
        if isinstance(value, datetime.datetime):
            value = iso(value)
        if value is not None:
            query[key] = value
    href = '%s?%s' % (pecan.request.path_url,
                      urllib.parse.urlencode(query, doseq=True))
    return [{'rel': 'next', 'href': href}]
