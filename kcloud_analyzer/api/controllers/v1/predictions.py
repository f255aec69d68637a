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
"""``/api/v1/predict-cost``: what a workload will cost."""

import pecan
from pecan import rest

from kcloud_analyzer.api.expose import expose
from kcloud_analyzer.api.schemas import predictions as schema
from kcloud_analyzer.api import utils

RULE = 'kcloud-analyzer:prediction:create'


class PredictCostController(rest.RestController):

    @expose(RULE, body=schema.request, response=schema.response)
    def post(self, *, body):
        context = pecan.request.context
        workload = None
        if 'workload_id' in body:
            workload = utils.visible_workload(RULE, body['workload_id'])
        return pecan.request.services.analysis.predict(
            context, body, workload)
