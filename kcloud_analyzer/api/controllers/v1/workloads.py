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
"""``/api/v1/workloads``: what tenants run, with their class."""

import pecan
from pecan import rest

from kcloud_analyzer.api.expose import expose
from kcloud_analyzer.api.schemas import workloads as schema
from kcloud_analyzer.api import utils
from kcloud_analyzer.db import api as db_api

_FIELDS = ('workload_id', 'name', 'project_id', 'status', 'declared_type',
           'classified_type', 'confidence', 'resources', 'accelerator',
           'profile', 'instances')
_TIMES = ('started_at', 'ended_at', 'created_at', 'updated_at')


def workload_view(workload):
    view = {field: workload.get(field) for field in _FIELDS}
    view['type'] = workload.get('declared_type') or workload.get(
        'classified_type')
    # why the classifier answered unknown (None for a class)
    view['reason'] = (workload.get('classification') or {}).get('reason')
    view['instances'] = workload.get('instances') or []
    view['resources'] = workload.get('resources') or {}
    for field in _TIMES:
        view[field] = utils.iso(workload.get(field))
    view['links'] = [{
        'rel': 'self',
        'href': '%s/api/v1/workloads/%s' % (pecan.request.application_url,
                                            workload['workload_id'])}]
    return view


class WorkloadsController(rest.RestController):

    @expose('kcloud-analyzer:workload:list',
            query=schema.list_query, response=schema.list_response)
    def get_all(self, *, limit=utils.MAX_LIMIT, marker=None, type=None,
                status=None, project_id=None):
        scope = utils.project_scope(
            'kcloud-analyzer:workload:list_all_projects', project_id)
        workloads = db_api.workload_list(
            pecan.request.context, project_id=scope, limit=limit,
            marker=marker, type=type, status=status)
        result = {'workloads': [workload_view(w) for w in workloads]}
        if len(workloads) == limit:
            result['links'] = utils.next_link(
                {'limit': limit, 'type': type, 'status': status,
                 'project_id': project_id}, workloads[-1]['workload_id'])
        return result

    @expose('kcloud-analyzer:workload:get', response=schema.workload)
    def get_one(self, workload_id):
        return workload_view(utils.visible_workload(
            'kcloud-analyzer:workload:get', workload_id))
