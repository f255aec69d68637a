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
"""Instance measures from Gnocchi (gnocchiclient).

Targets are the live instance resources. For each, the collector reads the
measures of the mapped metrics since the last one it read (``lookback``
seconds back the first time), at the finest granularity of the archive
policy: ``cpu`` as ``rate:mean`` (CPU time per granularity period, turned
into a utilisation with the ``vcpus`` metric), ``memory.usage`` as
``mean`` (a percentage of the ``memory`` metric, the flavor RAM).
A measure's message id is derived from its instance, metric and timestamp,
so reading it again (a restart, another agent) does not count it twice.
"""

import threading

from gnocchiclient import auth as gnocchi_auth
from gnocchiclient import client as gnocchi_client
from gnocchiclient import exceptions as gnocchi_exc
from keystoneauth1 import loading as ks_loading
from oslo_log import log as logging
import pandas as pd

from kcloud_analyzer.metrics_collector.collectors import base
from kcloud_analyzer.metrics_collector import normalise

LOG = logging.getLogger(__name__)

GROUP = 'gnocchi_collector'

#: Gnocchi metric of an instance resource -> aggregation read
METRICS = {
    'cpu': 'rate:mean',
    'memory.usage': 'mean',
    'power': 'mean',
}
#: flavor size metrics Ceilometer also stores on the instance resource
SIZE_METRICS = {'vcpus': 'vcpus', 'memory': 'memory_mb'}
#: metric -> the flavor size it is a share of
NEEDS = {'cpu': 'vcpus', 'memory.usage': 'memory_mb'}


def _epoch(timestamp):
    return pd.Timestamp(timestamp).timestamp()


class GnocchiCollector(base.Collector):
    name = 'gnocchi'

    def __init__(self, conf):
        super().__init__(conf)
        group = conf.gnocchi_collector
        self.resource_type = group.resource_type
        self.lookback = group.lookback
        self.client = self._client(conf, group)
        self._cursors = {}
        self._lock = threading.Lock()

    @staticmethod
    def _client(conf, group):
        adapter = {'interface': group.interface,
                   'region_name': group.region_name}
        if group.endpoint:
            adapter['endpoint_override'] = group.endpoint
        if group.auth_mode == 'basic':
            session_options = {'auth': gnocchi_auth.GnocchiBasicPlugin(
                user=group.basic_user, endpoint=group.endpoint)}
            return gnocchi_client.Client('1', session_options=session_options,
                                         adapter_options=adapter)
        # the group's name, not group.name: that would look up an option
        auth = ks_loading.load_auth_from_conf_options(conf, GROUP)
        session = ks_loading.load_session_from_conf_options(
            conf, GROUP, auth=auth)
        return gnocchi_client.Client('1', session=session,
                                     adapter_options=adapter)

    def targets(self):
        ids, marker = [], None
        while True:
            page = self.client.resource.search(
                resource_type=self.resource_type,
                query={'=': {'ended_at': None}}, limit=1000, marker=marker,
                sorts=['id:asc'])
            ids += [resource['id'] for resource in page]
            if len(page) < 1000:
                return ids
            marker = page[-1]['id']

    def _measures(self, metric_id, aggregation, start):
        measures = self.client.metric.get_measures(
            metric_id, aggregation=aggregation, start=start)
        if not measures:
            return []
        finest = min(granularity for _, granularity, _ in measures)
        return [(_epoch(t), g, v) for t, g, v in measures if g == finest]

    def _last(self, metric_id):
        measures = self._measures(metric_id, 'mean', None)
        return measures[-1][2] if measures else None

    def _read(self, instance, now):
        resource = self.client.resource.get(self.resource_type, instance)
        metrics = resource.get('metrics') or {}
        sizes = {column: self._last(metrics[name])
                 for name, column in SIZE_METRICS.items() if name in metrics}
        rows = []
        for name, aggregation in METRICS.items():
            if name not in metrics:
                continue
            if NEEDS.get(name) and sizes.get(NEEDS[name]) is None:
                # read it once the flavor size is known, rather than lose it
                continue
            cursor = self._cursors.get((instance, name),
                                       now - self.lookback)
            # Gnocchi rounds start down to the granularity: measures
            # already read come back and are left out here
            measures = [measure for measure in self._measures(
                metrics[name], aggregation,
                pd.Timestamp(cursor, unit='s', tz='UTC').isoformat())
                if measure[0] > cursor]
            for timestamp, granularity, value in measures:
                if aggregation.startswith('rate:'):
                    # a rate is per granularity period: make it per second
                    value = value / granularity
                rows.append((instance, instance, name, timestamp, value,
                             sizes.get('vcpus'), sizes.get('memory_mb'),
                             base.poll_id(self.name, '%s/%s' % (
                                 instance, name), int(timestamp))))
            if measures:
                self._cursors[(instance, name)] = measures[-1][0]
        return rows

    def poll(self, targets, now):
        rows = []
        with self._lock:
            for instance in targets:
                try:
                    rows += self._read(instance, now)
                except gnocchi_exc.ClientException as error:
                    LOG.warning('Could not read the measures of %s from '
                                'Gnocchi: %s', instance, error)
        if not rows:
            return base.empty_samples()
        frame = pd.DataFrame(rows, columns=[
            'resource_id', 'device', 'source', 'timestamp', 'value', 'vcpus',
            'memory_mb', 'message_id'])
        frame['vcpus'] = pd.to_numeric(frame['vcpus'])
        frame['memory_mb'] = pd.to_numeric(frame['memory_mb'])
        samples = normalise.normalise_ceilometer(frame, None,
                                                 extra_keys=['message_id'])
        return samples[base.SAMPLE_COLUMNS]
