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
"""``/api/v1/metrics``: the usage rollups the agents collected."""

import pecan
from pecan import rest

from kcloud_analyzer.api.expose import expose
from kcloud_analyzer.api.schemas import metrics as schema
from kcloud_analyzer.api import utils
from kcloud_analyzer.common import metrics
from kcloud_analyzer.db import api as db_api


def rollup_view(rollup):
    return {
        'id': rollup['id'],
        'workload_id': rollup['workload_id'],
        'metric': rollup['metric'],
        'unit': metrics.UNITS.get(rollup['metric'], ''),
        'window_start': utils.iso(rollup['window_start']),
        'mean': rollup['mean'],
        'min': rollup['min'],
        'max': rollup['max'],
        'count': rollup['count'],
    }


class MetricsController(rest.RestController):

    @expose('kcloud-analyzer:metric:list',
            query=schema.list_query, response=schema.list_response)
    def get_all(self, *, workload_id=None, metric=None, start=None,
                end=None, limit=utils.MAX_LIMIT, marker=None,
                project_id=None):
        scope = utils.project_scope(
            'kcloud-analyzer:metric:list_all_projects', project_id)
        if workload_id is not None:
            utils.visible_workload('kcloud-analyzer:metric:list',
                                   workload_id)
        rollups = db_api.rollup_list(
            pecan.request.context, workload_id=workload_id, metric=metric,
            start=start, end=end, limit=limit, marker=marker,
            project_id=scope)
        result = {'metrics': [rollup_view(r) for r in rollups]}
        if len(rollups) == limit:
            result['links'] = utils.next_link(
                {'workload_id': workload_id, 'metric': metric,
                 'start': start, 'end': end, 'limit': limit,
                 'project_id': project_id}, rollups[-1]['id'])
        return result
