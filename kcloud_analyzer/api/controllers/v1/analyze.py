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
"""``/api/v1/analyze``: classify, profile and cost a workload."""

import pecan
from pecan import rest

from kcloud_analyzer.api.expose import expose
from kcloud_analyzer.api.schemas import analyze as schema
from kcloud_analyzer.api import utils
from kcloud_analyzer.common import exception
from kcloud_analyzer.db import api as db_api

RULE = 'kcloud-analyzer:analysis:create'


class AnalyzeController(rest.RestController):

    @expose(RULE, body=schema.request, response=schema.response)
    def post(self, *, body):
        context = pecan.request.context
        project_id = context.project_id
        try:
            existing = db_api.workload_get(context, body['workload_id'])
        except exception.WorkloadNotFound:
            existing = None
        if existing is not None:
            # Workload ids are unique across projects: one that belongs
            # to a project the caller cannot write to is reported as
            # missing, as GET does, so that ids cannot be probed.
            if not utils.is_allowed(RULE, existing['project_id']):
                raise exception.WorkloadNotFound(
                    workload_id=body['workload_id'])
            project_id = existing['project_id']
        result = pecan.request.services.analysis.analyze(
            context, body, project_id)
        result['links'] = [{
            'rel': 'workload',
            'href': '%s/api/v1/workloads/%s' % (
                pecan.request.application_url, body['workload_id'])}]
        return result
