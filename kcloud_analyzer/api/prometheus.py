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
"""Prometheus exposition for ``GET /metrics``.

Request counts and latencies are measured in this process; the figures
about the store (samples ingested, workloads, the current cost rate) are
read from the database when scraped, so every API copy reports the same
totals whichever process ingested the samples.

Under a server with several worker processes (uWSGI, or
``kcloud-analyzer-api`` with ``[api] workers`` above 1) each process
counts its own requests. With ``PROMETHEUS_MULTIPROC_DIR`` naming an empty
folder in the environment before the processes start, prometheus_client
keeps the counts in files there and every scrape sums all the processes.
"""

import os
import threading
import time

from oslo_log import log
import prometheus_client
from prometheus_client import core
from prometheus_client import multiprocess

LOG = log.getLogger(__name__)

CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST
MULTIPROCESS_ENV = 'PROMETHEUS_MULTIPROC_DIR'


def multiprocess_folder():
    """The folder the worker processes share their counts in, or None."""
    return os.environ.get(MULTIPROCESS_ENV) or None

_KNOWN_ROUTES = frozenset(['/', '/health', '/docs', '/openapi.json',
                           '/metrics'])
_COLLECTIONS = frozenset(['analyze', 'cost', 'metrics', 'predict-cost',
                          'workloads', 'recommendations', 'rates'])


def route_of(path):
    """The route template of a path, so that ids do not become labels."""
    if path in _KNOWN_ROUTES:
        return path
    if path.startswith('/docs/'):
        return '/docs/{asset}'
    parts = path.strip('/').split('/')
    if parts[:2] == ['api', 'v1'] and len(parts) in (3, 4) \
            and parts[2] in _COLLECTIONS:
        return '/api/v1/' + parts[2] + ('/{id}' if len(parts) == 4 else '')
    return 'other'


class StoreCollector:
    """Figures read from the store at scrape time, kept for a few seconds
    so that frequent scrapes do not load the database."""

    def __init__(self, snapshot, max_age=15.0):
        self.snapshot = snapshot
        self.max_age = max_age
        self._lock = threading.Lock()
        self._taken_at = None
        self._figures = None

    def _figures_now(self):
        with self._lock:
            now = time.monotonic()
            if self._taken_at is None or now - self._taken_at > self.max_age:
                try:
                    self._figures = self.snapshot()
                except Exception:
                    # A scrape must not fail because the store is away;
                    # the request metrics are still worth reporting.
                    LOG.exception('Could not read the store for /metrics')
                    self._figures = None
                self._taken_at = now
            return self._figures

    def collect(self):
        figures = self._figures_now()
        if not figures:
            return
        samples = core.CounterMetricFamily(
            'kcloud_analyzer_samples_ingested',
            'Raw samples folded into the usage rollups.')
        samples.add_metric([], figures['samples_ingested'])
        yield samples
        workloads = core.GaugeMetricFamily(
            'kcloud_analyzer_workloads', 'Workloads known, by class.',
            labels=['type'])
        by_type = {kind or 'unknown': count
                   for kind, count in figures['workloads_by_type'].items()}
        for kind, count in sorted(by_type.items()):
            workloads.add_metric([kind], count)
        yield workloads
        cost = core.GaugeMetricFamily(
            'kcloud_analyzer_cost_per_hour',
            'Cost of all workloads in the latest complete hour, by '
            'currency and component.',
            labels=['currency', 'component'])
        for (currency, component), value in sorted(
                figures['cost_per_hour'].items()):
            cost.add_metric([currency, component], value)
        yield cost


class Metrics:
    """The registry of one API application and its WSGI middleware."""

    CONTENT_TYPE = CONTENT_TYPE

    def __init__(self, snapshot=None):
        self.registry = prometheus_client.CollectorRegistry()
        self.requests = prometheus_client.Counter(
            'kcloud_analyzer_api_requests',
            'API requests handled, by method, route and status.',
            ['method', 'route', 'status'], registry=self.registry)
        self.latency = prometheus_client.Histogram(
            'kcloud_analyzer_api_request_duration_seconds',
            'Time to handle an API request, by method and route.',
            ['method', 'route'], registry=self.registry,
            buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1,
                     2.5, 5))
        self.store = None
        if snapshot is not None:
            self.store = StoreCollector(snapshot)
            self.registry.register(self.store)

    def exposition(self):
        if multiprocess_folder() is None:
            return prometheus_client.generate_latest(self.registry)
        # Every worker's counts, from the files they write.
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        if self.store is not None:
            registry.register(self.store)
        return prometheus_client.generate_latest(registry)

    def middleware(self, application):
        def measured(environ, start_response):
            started = time.perf_counter()
            status = ['500']

            def recording_start_response(status_line, headers,
                                         exc_info=None):
                status[0] = status_line.split(' ', 1)[0]
                return start_response(status_line, headers, exc_info)

            try:
                return application(environ, recording_start_response)
            finally:
                method = environ.get('REQUEST_METHOD', 'GET')
                route = route_of(environ.get('PATH_INFO', ''))
                self.latency.labels(method, route).observe(
                    time.perf_counter() - started)
                self.requests.labels(method, route, status[0]).inc()
        return measured
