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
"""Prometheus counters of the agent's ingest, in one registry.

The registry is the process's own (not prometheus_client's global one), so
that whatever exposes the agent's metrics collects exactly these, and a
test reads them without the counters of other libraries.
"""

import prometheus_client

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
