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
"""What the agent tells Prometheus: every metric it exports, in one registry.

The registry is the process's own (not prometheus_client's global one), so
that whatever exposes the agent's metrics collects exactly these, and a
test reads them without the counters of other libraries. The agent serves
it on ``[agent] metrics_port`` (:func:`serve`). The ingest counters kept by
:class:`~kcloud_analyzer.metrics_collector.ingest.IngestStats` are read at
scrape time (:class:`IngestCollector`), so the hot path keeps its one
lock-protected dict. The alert rules and the Grafana dashboard under
``etc/prometheus`` and ``etc/grafana`` name only metrics exported here or
by the API (a test holds them to it).
"""

import time

import prometheus_client
from prometheus_client import core

REGISTRY = prometheus_client.CollectorRegistry()

SAMPLES_MALFORMED = prometheus_client.Counter(
    'kcloud_analyzer_samples_malformed',
    'Samples refused before the store (not a finite number, outside the '
    'physical bounds of their unit, a bad timestamp or identifier), and '
    'notifications that could not be parsed at all, by reason.',
    ['reason'], registry=REGISTRY)

SAMPLES_DEAD_LETTERED = prometheus_client.Counter(
    'kcloud_analyzer_samples_dead_lettered',
    'Notifications put on a dead-letter queue (<topic>.dlq) with the '
    'reason they were not stored, by topic.',
    ['topic'], registry=REGISTRY)


#: The agent's periodic tasks, labelled ``task`` (``job`` is Prometheus's
#: own target label). ``analysis`` updates profiles, classes and costs.
TASKS = ('poll', 'ring', 'analysis', 'retrain', 'purge', 'influxdb')

TASK_DURATION = prometheus_client.Histogram(
    'kcloud_analyzer_task_duration_seconds',
    'Time one run of an agent task took, by task.',
    ['task'], registry=REGISTRY,
    buckets=(.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800))

TASK_FAILURES = prometheus_client.Counter(
    'kcloud_analyzer_task_failures',
    'Runs of an agent task that raised, by task.',
    ['task'], registry=REGISTRY)

TASK_LAST_SUCCESS = prometheus_client.Gauge(
    'kcloud_analyzer_task_last_success_timestamp_seconds',
    'Unix time at which a run of the task last ended without an error '
    '(0 before the first).',
    ['task'], registry=REGISTRY)

for _task in TASKS:
    # Every series exists from the start, so that rate() and the alerts
    # behave before a task first runs.
    TASK_DURATION.labels(_task)
    TASK_FAILURES.labels(_task)
    TASK_LAST_SUCCESS.labels(_task)

RING_MEMBERS = prometheus_client.Gauge(
    'kcloud_analyzer_ring_members',
    'Agents in the coordination group (the hash ring that splits the '
    'polling), as this agent sees it.',
    registry=REGISTRY)

POLLS_BACKFILLED = prometheus_client.Counter(
    'kcloud_analyzer_polls_backfilled',
    'Polls of one target for a past collection-interval slot that no '
    'agent had stored (its agent died, or every agent was down).',
    registry=REGISTRY)

# process_start_time_seconds and the other process_* metrics.
prometheus_client.ProcessCollector(registry=REGISTRY)

#: IngestStats field -> (counter name without _total, help); its
#: ``malformed`` field is exported by SAMPLES_MALFORMED with a reason.
INGEST_COUNTERS = {
    'received': ('kcloud_analyzer_samples_received',
                 'Samples handed to the store, duplicates included.'),
    'samples': ('kcloud_analyzer_samples_stored',
                'Samples folded into the usage rollups.'),
    'messages': ('kcloud_analyzer_messages_handled',
                 'Notifications parsed and handed to the store.'),
    'duplicates': ('kcloud_analyzer_messages_duplicate',
                   'Messages skipped because they were stored already '
                   '(redeliveries).'),
    'bad_signature': ('kcloud_analyzer_samples_bad_signature',
                      'Ceilometer samples dropped because their signature '
                      'did not match [notification] telemetry_secret.'),
    'requeued': ('kcloud_analyzer_messages_requeued',
                 'Notifications handed back to the broker because the '
                 'database was not available.'),
    'dropped': ('kcloud_analyzer_messages_dropped',
                'Notifications that could not be stored for another '
                'reason and were dropped.'),
}
INGEST_LAG = 'kcloud_analyzer_ingest_lag_seconds'
LAST_INGEST = 'kcloud_analyzer_last_ingest_timestamp_seconds'


class IngestCollector:
    """The running agent's IngestStats, read when Prometheus scrapes."""

    def __init__(self, stats=None):
        self.stats = stats

    def collect(self):
        if self.stats is None:
            counts, lag, last = {}, None, None
        else:
            counts = self.stats.snapshot()
            lag, last = self.stats.lag()
        for field, (name, documentation) in INGEST_COUNTERS.items():
            family = core.CounterMetricFamily(name, documentation)
            family.add_metric([], counts.get(field, 0))
            yield family
        family = core.GaugeMetricFamily(
            INGEST_LAG,
            'Seconds the oldest notification of the latest batch waited '
            'between the broker and the agent.')
        if lag is not None:
            family.add_metric([], lag)
        yield family
        family = core.GaugeMetricFamily(
            LAST_INGEST, 'Unix time at which samples were last stored.')
        if last is not None:
            family.add_metric([], last)
        yield family


_INGEST = IngestCollector()
REGISTRY.register(_INGEST)


def watch_ingest(stats):
    """Export ``stats`` (the running agent's IngestStats)."""
    _INGEST.stats = stats


class timed_task:
    """Measures one run of an agent task (a context manager)."""

    def __init__(self, task):
        self.task = task

    def __enter__(self):
        self._started = time.perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb):
        TASK_DURATION.labels(self.task).observe(
            time.perf_counter() - self._started)
        if exc_type is None:
            TASK_LAST_SUCCESS.labels(self.task).set(time.time())
        else:
            TASK_FAILURES.labels(self.task).inc()
        return False


def serve(port, host):
    """Serve :data:`REGISTRY` over HTTP on ``host:port`` in a thread;
    returns the server (``shutdown()`` stops it)."""
    server, _thread = prometheus_client.start_http_server(
        port, addr=host, registry=REGISTRY)
    return server


def malformed(reason, count=1):
    if count:
        SAMPLES_MALFORMED.labels(reason).inc(count)


def dead_lettered(topic, count=1):
    if count:
        SAMPLES_DEAD_LETTERED.labels(topic).inc(count)


def value(name, labels=None):
    """The current value of a sample of :data:`REGISTRY` (0 when absent)."""
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def exposition():
    return prometheus_client.generate_latest(REGISTRY)
