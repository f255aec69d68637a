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
"""``/api/v1/recommendations``: ways to lower costs, largest first."""

import pecan
from pecan import rest

from kcloud_analyzer.api.expose import expose
from kcloud_analyzer.api.schemas import recommendations as schema
from kcloud_analyzer.api import utils
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.db import api as db_api


def recommendation_view(row):
    return {
        'id': row['uuid'],
        'workload_id': row['workload_id'],
        'project_id': row['project_id'],
        'kind': row['kind'],
        'action': row['action'],
        'monthly_saving': utils.money(row['monthly_saving']),
        'monthly_kwh': row.get('monthly_kwh'),
        'currency': row['currency'],
        'confidence': row['confidence'],
        'expected_monthly_saving': utils.money(ratecard.to_money(
            float(row['monthly_saving']) * row['confidence'])),
        'evidence': row.get('evidence') or {},
        'created_at': utils.iso(row.get('created_at')),
        'state': row.get('state') or 'open',
        'applied_at': utils.iso(row.get('applied_at')),
        'applied_change': row.get('applied_change'),
        'realised_monthly_saving': (
            None if row.get('realised_monthly_saving') is None
            else utils.money(row['realised_monthly_saving'])),
        'realised_monthly_kwh': row.get('realised_monthly_kwh'),
        'realised_at': utils.iso(row.get('realised_at')),
    }


class RecommendationsController(rest.RestController):

    @expose('kcloud-analyzer:recommendation:list',
            query=schema.list_query, response=schema.list_response)
    def get_all(self, *, workload_id=None, project_id=None,
                limit=utils.MAX_LIMIT, state=None):
        scope = utils.project_scope(
            'kcloud-analyzer:recommendation:list_all_projects', project_id)
        if workload_id is not None:
            utils.visible_workload('kcloud-analyzer:recommendation:list',
                                   workload_id)
        rows = db_api.recommendation_list(
            pecan.request.context, project_id=scope,
            workload_id=workload_id, limit=limit, state=state)
        return {'recommendations': [recommendation_view(r) for r in rows]}
