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
"""The thin layer between the controllers and the analysis packages.

It turns a request body into the frames ``workload_analyzer`` and
``cost_model`` take, calls them, and stores what the API promises to
store. No analysis happens here.
"""

import datetime

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics
from kcloud_analyzer.cost_model import realtime
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.workload_analyzer import features
from kcloud_analyzer.workload_analyzer import series as series_mod

#: how a ``usage_pattern`` (means only) is laid out as a series: one
#: sample per rollup window over one hour, so that cost lines are priced
#: for a full hour.
PATTERN_STEP = datetime.timedelta(minutes=5)
PATTERN_SAMPLES = 12


def workload_frame(body, project_id):
    resources = body.get('resources') or {}
    return pd.DataFrame({
        'workload_id': [body['workload_id']],
        'type': [body.get('type')],
        'cpu_cores': [float(resources.get('cpu_cores', 0))],
        'memory_gb': [float(resources.get('memory_gb', 0))],
        'gpu_count': np.array([resources.get('gpu_count', 0)],
                              dtype=np.int64),
        'npu_count': np.array([resources.get('npu_count', 0)],
                              dtype=np.int64),
        'accelerator': [resources.get('accelerator')],
        'project_id': [project_id],
    })


def usage_frame(body, now=None):
    """Long-form usage from ``usage`` samples, or from ``usage_pattern``
    means held constant over one hour ending at ``now``."""
    workload_id = body['workload_id']
    samples = body.get('usage')
    if samples:
        return pd.DataFrame({
            'workload_id': workload_id,
            'timestamp': pd.to_datetime([s['timestamp'] for s in samples],
                                        utc=True, format='ISO8601'),
            'metric': [s['metric'] for s in samples],
            'value': np.array([s['value'] for s in samples], dtype=float),
        })
    pattern = dict(body.get('usage_pattern') or {})
    storage_gb = (body.get('resources') or {}).get('storage_gb')
    if storage_gb is not None:
        pattern.setdefault(metrics.STORAGE_GB, storage_gb)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    end = pd.Timestamp(now).floor('h')
    times = pd.date_range(end=end - PATTERN_STEP, periods=PATTERN_SAMPLES,
                          freq=PATTERN_STEP)
    names = sorted(pattern)
    return pd.DataFrame({
        'workload_id': workload_id,
        'timestamp': np.tile(times, len(names)),
        'metric': np.repeat(names, len(times)),
        'value': np.repeat([float(pattern[n]) for n in names], len(times)),
    })


def _json_ready(value):
    """Plain Python numbers, None for NaN, for a JSON document."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _row(frame, workload_id):
    if frame is None or workload_id not in frame.index:
        return {}
    return _json_ready(frame.loc[workload_id].to_dict())


class Analysis:
    """Analyses and predictions for the API, with the service's models."""

    def __init__(self, conf, card):
        self.conf = conf
        self.card = card

    def profiles(self, body, project_id):
        workloads = workload_frame(body, project_id)
        usage = usage_frame(body)
        series = series_mod.from_usage(usage, [body['workload_id']])
        resources, energies, feature_frame = features.analyze(
            series, workloads)
        return workloads, usage, resources, energies, feature_frame

    def cost(self, workloads, usage):
        """The mean cost per hour over the hours in ``usage``."""
        costs = realtime.compute_costs(workloads, usage, self.card)
        lines = {line: float(costs[line].mean()) for line in realtime.LINES}
        return costs, {
            'cost_per_hour': float(costs['cost_per_hour'].mean()),
            'cost_breakdown': lines,
            'idle_cost_per_hour': float(costs['idle_cost'].mean()),
            'currency': self.card.currency,
        }
