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
"""Version 1 of the API, under ``/api/v1``."""

import pecan

from kcloud_analyzer.api.controllers.v1 import analyze
from kcloud_analyzer.api.controllers.v1 import cost
from kcloud_analyzer.api.controllers.v1 import metrics
from kcloud_analyzer.api.controllers.v1 import predictions
from kcloud_analyzer.api.controllers.v1 import rates
from kcloud_analyzer.api.controllers.v1 import recommendations
from kcloud_analyzer.api.controllers.v1 import workloads
from kcloud_analyzer.api import microversion


def version_document():
    """The v1 version as ``GET /`` lists it and ``GET /api/v1/`` shows it."""
    return {
        'id': 'v1',
        'status': 'CURRENT',
        'min_version': microversion.format_version(microversion.MIN_VERSION),
        'max_version': microversion.format_version(microversion.MAX_VERSION),
        'links': [{'rel': 'self',
                   'href': pecan.request.application_url + '/api/v1/'}],
    }


class V1Controller:

    analyze = analyze.AnalyzeController()
    cost = cost.CostController()
    metrics = metrics.MetricsController()
    rates = rates.RatesController()
    recommendations = recommendations.RecommendationsController()
    workloads = workloads.WorkloadsController()

    @pecan.expose('json')
    def index(self):
        return version_document()


# A Python attribute cannot hold a hyphen.
pecan.route(V1Controller, 'predict-cost',
            predictions.PredictCostController())
