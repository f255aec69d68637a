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
"""Replays a recorded trace at a chosen speed.

Each target is a workload of the trace. A sample's message id is derived
from its workload and (shifted) timestamp, so replaying the same trace
position twice - an agent taking over a workload - counts it once.
"""

import pathlib
import threading

import numpy as np
import pandas as pd

from kcloud_analyzer.common import offline
from kcloud_analyzer.metrics_collector.collectors import base

DATA_DIR = pathlib.Path(__file__).resolve().parents[2] / 'data'
SAMPLE_USAGE = DATA_DIR / 'sample_trace_usage.csv.gz'
SAMPLE_WORKLOADS = DATA_DIR / 'sample_trace_workloads.csv'


class ReplayCollector(base.Collector):
    name = 'replay'

    def __init__(self, conf):
        super().__init__(conf)
        group = conf.replay_collector
        usage_path = group.usage_file or SAMPLE_USAGE
        workloads_path = group.workloads_file
        if workloads_path is None and group.usage_file is None:
            workloads_path = SAMPLE_WORKLOADS
        usage = offline.load_usage(usage_path)
        seconds = (usage['timestamp'] - pd.Timestamp(0, tz='UTC')
                   ).dt.total_seconds().to_numpy()
        order = np.argsort(seconds, kind='stable')
        self._usage = pd.DataFrame({
            'resource_id': usage['workload_id'].to_numpy()[order],
            'metric': usage['metric'].to_numpy()[order],
            'trace_time': seconds[order],
            'value': usage['value'].to_numpy(dtype='float64')[order],
        })
        self._workloads = (offline.load_workloads(workloads_path)
                           if workloads_path else None)
        self.speed = group.speed
        self.shift_to_now = group.shift_to_now
        self._lock = threading.Lock()
        self._started = None
        self._offset = 0.0
        self._replayed_until = -np.inf

    @property
    def trace_start(self):
        return float(self._usage['trace_time'].iloc[0])

    @property
    def trace_end(self):
        return float(self._usage['trace_time'].iloc[-1])

    def targets(self):
        return sorted(pd.unique(self._usage['resource_id']))

    def finished(self):
        return self._replayed_until >= self.trace_end

    def poll(self, targets, now):
        with self._lock:
            if self._started is None:
                self._started = now
                if self.shift_to_now:
                    self._offset = now - self.trace_end
            position = self.trace_start + (now - self._started) * self.speed
            previous, self._replayed_until = self._replayed_until, position
        trace_time = self._usage['trace_time']
        due = self._usage[(trace_time > previous) & (trace_time <= position) &
                          self._usage['resource_id'].isin(list(targets))]
        if due.empty:
            return base.empty_samples()
        timestamps = due['trace_time'].to_numpy() + self._offset
        keys = pd.Series(due['resource_id'].to_numpy()) + '@' + pd.Series(
            timestamps).map('{:.3f}'.format)
        ids = {key: base.poll_id(self.name, key, 0)
               for key in pd.unique(keys)}
        return pd.DataFrame({
            'resource_id': due['resource_id'].to_numpy(),
            'metric': due['metric'].to_numpy(),
            'timestamp': timestamps,
            'value': due['value'].to_numpy(),
            'message_id': keys.map(ids).to_numpy(),
        })

    def workloads(self, targets):
        if self._workloads is None:
            return []
        chosen = self._workloads[self._workloads['workload_id'].isin(
            list(targets))]
        records = []
        for row in chosen.to_dict('records'):
            resources = {key: row[key] for key in (
                'cpu_cores', 'memory_gb', 'gpu_count', 'npu_count')}
            resources['accelerator'] = row['accelerator']
            records.append({
                'workload_id': row['workload_id'],
                'project_id': row['project_id'],
                'name': row['workload_id'],
                'declared_type': row['type'],
                'resources': resources,
                'accelerator': row['accelerator'],
                'status': 'active',
            })
        return records
