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

import datetime

import pandas as pd

from kcloud_analyzer.common import metrics
from kcloud_analyzer.common import offline
from kcloud_analyzer.jobs import frames


def test_usage_from_rollups_shape():
    rows = [{'workload_id': 'w', 'metric': metrics.GPU_UTILIZATION,
             'window_start': datetime.datetime(2026, 1, 1, 0, 5),
             'mean': 40.0, 'min': 1.0, 'max': 90.0, 'count': 10}]
    usage = frames.usage_from_rollups(rows)
    assert list(usage.columns) == ['workload_id', 'timestamp', 'metric',
                                   'value']
    assert usage['timestamp'].iloc[0] == pd.Timestamp(
        '2026-01-01T00:05:00Z')
    assert usage['value'].tolist() == [40.0]
    assert frames.usage_from_rollups([]).empty


def test_the_type_that_counts_is_declared_else_classified():
    stored = [
        {'workload_id': 'a', 'project_id': 'p', 'declared_type': 'serving',
         'classified_type': 'training', 'resources': {'gpu_count': 2}},
        {'workload_id': 'b', 'project_id': 'p', 'declared_type': None,
         'classified_type': 'inference', 'resources': {},
         'accelerator': 'A100'},
        {'workload_id': 'c', 'project_id': 'p', 'resources': {
            'cpu_cores': 4, 'accelerator': 'L4'}},
        {'workload_id': 'd', 'project_id': 'p', 'classified_type': 'unknown',
         'confidence': 0.4, 'resources': {}, 'status': 'ended'},
    ]
    stored[1]['confidence'] = 0.7
    frame = frames.workload_frame(stored)
    assert list(frame.columns[:len(offline.WORKLOAD_COLUMNS)]) == list(
        offline.WORKLOAD_COLUMNS)
    assert frame['type'].tolist() == ['serving', 'inference', None, None]
    assert frame['type_confidence'].tolist()[:2] == [1.0, 0.7]
    assert frame['gpu_count'].tolist() == [2, 0, 0, 0]
    assert frame['cpu_cores'].tolist() == [0.0, 0.0, 4.0, 0.0]
    assert frame['accelerator'].tolist() == [None, 'A100', 'L4', None]
    # The classifier sees the declared type only, never its own answer.
    records = frames.records(frame)
    assert records['type'].tolist() == ['serving', None, None, None]
    assert records['lifecycle'].tolist() == [None, None, None, 'ended']


def test_from_store_keeps_the_usage_of_selected_workloads(monkeypatch):
    stored = [{'workload_id': 'a', 'project_id': 'p', 'resources': {}}]
    rollups = [
        {'workload_id': workload_id, 'metric': metrics.GPU_UTILIZATION,
         'window_start': datetime.datetime(2026, 1, 1, hour), 'mean': 50.0}
        for workload_id, hour in (('a', 0), ('a', 5), ('gone', 0))]
    monkeypatch.setattr(frames, 'stored_workloads',
                        lambda context, status=None: stored)
    monkeypatch.setattr(frames, 'stored_rollups',
                        lambda context, start=None: rollups)
    workloads, usage = frames.from_store(
        None, end=datetime.datetime(2026, 1, 1, 5))
    assert workloads['workload_id'].tolist() == ['a']
    assert usage['workload_id'].tolist() == ['a']
    assert usage['timestamp'].tolist() == [
        pd.Timestamp('2026-01-01T00:00:00Z')]
