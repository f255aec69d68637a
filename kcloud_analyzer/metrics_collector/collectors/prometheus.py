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
"""Accelerator exporters through the Prometheus HTTP API.

Targets are the instances (values of ``[prometheus_collector]
instance_label``) that have series of any mapped exporter metric. Gauges
are read with one instant query; each counter (the DCGM energy totals) is
read as ``rate()`` over ``rate_window``, which PromQL returns per second,
so a counter in millijoules becomes watts once the mapping scales it.
Queries are evaluated at the poll's time, so a past interval slot is read
as Prometheus held it then (backfill).
"""

import pandas as pd
import requests

from kcloud_analyzer.metrics_collector.collectors import base
from kcloud_analyzer.metrics_collector import normalise

_GAUGES = sorted(name for name, mapping in
                 normalise.PROMETHEUS_METRICS.items()
                 if mapping.kind == normalise.GAUGE)
_COUNTERS = sorted(name for name, mapping in
                   normalise.PROMETHEUS_METRICS.items()
                   if mapping.kind == normalise.COUNTER)


_RE2_SPECIAL = frozenset('\\.+*?()|[]{}^$')


def _literal(value):
    """``value`` as a regular expression matching only itself, written
    inside a PromQL double-quoted string (which unescapes once more)."""
    escaped = ''.join('\\' + c if c in _RE2_SPECIAL else c for c in value)
    return escaped.replace('\\', '\\\\').replace('"', '\\"')


def _name_regex(names):
    return '|'.join(_literal(name) for name in names)


def _label_regex(values):
    return '|'.join(_literal(value) for value in values)


class PrometheusError(RuntimeError):
    pass


class PrometheusCollector(base.Collector):
    name = 'prometheus'
    backfill = True

    def __init__(self, conf):
        super().__init__(conf)
        group = conf.prometheus_collector
        self.url = group.url.rstrip('/')
        self.label = group.instance_label
        self.device_labels = list(group.device_labels)
        self.rate_window = group.rate_window
        self.timeout = group.timeout
        self.session = requests.Session()
        self.session.verify = group.ca_file or group.verify

    def _query(self, promql, when=None):
        data = {'query': promql}
        if when is not None:
            data['time'] = '%.3f' % when
        response = self.session.post(self.url + '/api/v1/query', data=data,
                                     timeout=self.timeout)
        body = response.json()
        if response.status_code != 200 or body.get('status') != 'success':
            raise PrometheusError('query %r failed: %s' % (
                promql, body.get('error', response.status_code)))
        return body['data']['result']

    def targets(self):
        selector = '{__name__=~"%s",%s!=""}' % (
            _name_regex(_GAUGES + _COUNTERS), self.label)
        result = self._query('group by (%s) (%s)' % (self.label, selector))
        return sorted({item['metric'][self.label] for item in result})

    def _device(self, labels):
        for label in self.device_labels:
            if labels.get(label):
                return labels[label]
        return ''

    def _rows(self, result, source=None):
        rows = []
        for item in result:
            labels = item['metric']
            name = source or labels.get('__name__')
            wanted = normalise.PROMETHEUS_LABEL_FILTERS.get(name, {})
            if any(labels.get(k) != v for k, v in wanted.items()):
                continue
            when, value = item['value']
            rows.append((labels[self.label], self._device(labels), name,
                         float(when), float(value)))
        return rows

    def poll(self, targets, now):
        if not targets:
            return base.empty_samples()
        instances = '%s=~"%s"' % (self.label, _label_regex(targets))
        rows = self._rows(self._query(
            '{__name__=~"%s",%s}' % (_name_regex(_GAUGES), instances), now))
        for counter in _COUNTERS:
            rows += self._rows(self._query('rate(%s{%s}[%s])' % (
                counter, instances, self.rate_window), now), source=counter)
        series = pd.DataFrame(rows, columns=['resource_id', 'device',
                                             'source', 'timestamp', 'value'])
        samples = normalise.normalise_prometheus(series)
        slot = int(now // self.conf.collection_interval)
        return base.with_poll_ids(samples, self.name, 'resource_id', slot)

    def close(self):
        self.session.close()
