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
import pytest
import webob

from kcloud_analyzer.api import prometheus


@pytest.mark.parametrize('path, route', [
    ('/', '/'),
    ('/health', '/health'),
    ('/docs/swagger-ui.css', '/docs/{asset}'),
    ('/api/v1/cost', '/api/v1/cost'),
    ('/api/v1/cost/job-42', '/api/v1/cost/{id}'),
    ('/api/v1/workloads/x', '/api/v1/workloads/{id}'),
    ('/api/v1/cost/a/b', 'other'),
    ('/api/v1/unknown/x', 'other'),
    ('/wp-admin.php', 'other'),
])
def test_route_of(path, route):
    assert prometheus.route_of(path) == route


def test_requests_are_counted_and_timed():
    metrics = prometheus.Metrics()

    def application(environ, start_response):
        start_response('404 Not Found', [('Content-Type', 'text/plain')])
        return [b'']

    wrapped = metrics.middleware(application)
    for _ in range(3):
        webob.Request.blank('/api/v1/workloads/w1').get_response(wrapped)
    text = metrics.exposition().decode()
    assert ('kcloud_analyzer_api_requests_total{method="GET",'
            'route="/api/v1/workloads/{id}",status="404"} 3.0') in text
    assert ('kcloud_analyzer_api_request_duration_seconds_count{'
            'method="GET",route="/api/v1/workloads/{id}"} 3.0') in text


def test_store_figures_are_reported_and_a_failure_is_not_fatal():
    calls = []

    def snapshot():
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError('database away')
        return {'samples_ingested': 7,
                'workloads_by_type': {'training': 2, None: 1},
                'cost_per_hour': {('USD', 'total'): 1.5}}

    collector = prometheus.StoreCollector(snapshot, max_age=0)
    families = {f.name: f for f in collector.collect()}
    assert families['kcloud_analyzer_samples_ingested'].samples[0].value == 7
    types = {s.labels['type']: s.value
             for s in families['kcloud_analyzer_workloads'].samples}
    assert types == {'training': 2, 'unknown': 1}
    assert list(collector.collect()) == []
