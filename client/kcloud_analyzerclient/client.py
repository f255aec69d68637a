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
"""A small REST client of the kcloud-analyzer API over a keystoneauth
session, shared by the ``openstack analyzer`` commands and the Horizon
panels."""

from keystoneauth1 import exceptions as ks_exceptions
from osc_lib import exceptions

MICROVERSION = 'analyzer 1.0'


def _error_detail(response):
    try:
        errors = response.json()['errors']
        return '; '.join('%s (%s)' % (e.get('detail') or e.get('title'),
                                      e.get('code')) for e in errors)
    except (ValueError, KeyError, TypeError):
        return response.text or response.reason


class Client:

    def __init__(self, session, endpoint):
        self.session = session
        self.endpoint = endpoint.rstrip('/')

    def _request(self, method, path, params=None, json=None):
        params = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self.session.request(
                self.endpoint + path, method, params=params, json=json,
                headers={'OpenStack-API-Version': MICROVERSION,
                         'Accept': 'application/json'},
                raise_exc=False)
        except ks_exceptions.ConnectFailure as exc:
            raise exceptions.CommandError(
                'Cannot reach the workload analyzer at %s: %s'
                % (self.endpoint, exc))
        if response.status_code >= 400:
            raise exceptions.CommandError(
                'HTTP %d: %s' % (response.status_code,
                                 _error_detail(response)))
        return response.json()

    def _pages(self, path, key, marker_key, filters):
        """Every item of a paginated listing, or the first ``limit``."""
        items, marker = [], None
        limit = filters.pop('limit', None)
        while True:
            page = self._request('GET', path, params=dict(
                filters, marker=marker, limit=limit))
            items.extend(page[key])
            if limit is not None or not page.get('links') or not page[key]:
                return items
            marker = items[-1][marker_key]

    def workload_list(self, **filters):
        return self._pages('/api/v1/workloads', 'workloads', 'workload_id',
                           filters)

    def workload_show(self, workload_id):
        return self._request('GET', '/api/v1/workloads/%s' % workload_id)

    def cost_show(self, workload_id, **params):
        return self._request('GET', '/api/v1/cost/%s' % workload_id,
                             params=params)

    def cost_summary(self, **params):
        return self._request('GET', '/api/v1/cost', params=params)

    def cost_forecast(self, **params):
        return self._request('GET', '/api/v1/cost/forecast', params=params)

    def predict_cost(self, body):
        return self._request('POST', '/api/v1/predict-cost', json=body)

    def recommendation_list(self, **params):
        return self._request('GET', '/api/v1/recommendations',
                             params=params)['recommendations']

    def analyze(self, body):
        return self._request('POST', '/api/v1/analyze', json=body)

    def metric_list(self, **filters):
        return self._pages('/api/v1/metrics', 'metrics', 'id', filters)

    def rate_card(self):
        return self._request('GET', '/api/v1/rates')['rate_card']
