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

import numpy as np
import pandas as pd
import pytest

from kcloud_analyzer.metrics_collector import rollup


def _frame(rows):
    return pd.DataFrame(rows, columns=['workload_id', 'metric', 'timestamp',
                                       'value'])


def test_fold_per_window():
    folded = rollup.fold(_frame([
        ('w1', 'gpu_utilization', 0.0, 10.0),
        ('w1', 'gpu_utilization', 299.0, 30.0),
        ('w1', 'gpu_utilization', 300.0, 50.0),
        ('w2', 'gpu_utilization', 10.0, 70.0),
        ('w1', 'gpu_utilization', 20.0, np.nan),
    ]), 300)
    rows = {(r['workload_id'], r['window_start']): r
            for r in rollup.to_rows(folded)}
    first = rows[('w1', datetime.datetime(1970, 1, 1))]
    assert (first['mean'], first['min'], first['max'], first['count']) == (
        20.0, 10.0, 30.0, 2)
    second = rows[('w1', datetime.datetime(1970, 1, 1, 0, 5))]
    assert (second['mean'], second['count']) == (50.0, 1)
    assert rows[('w2', datetime.datetime(1970, 1, 1))]['count'] == 1
    assert len(rows) == 3


def test_merging_folds_equals_folding_everything():
    rng = np.random.default_rng(7)
    frame = _frame({
        'workload_id': rng.choice(['a', 'b', 'c'], 1000),
        'metric': rng.choice(['cpu_utilization', 'power_watts'], 1000),
        'timestamp': rng.uniform(0, 3600, 1000),
        'value': rng.uniform(0, 100, 1000),
    })
    whole = rollup.to_rows(rollup.fold(frame, 300))
    parts = rollup.to_rows(rollup.merge(rollup.fold(frame[:333], 300),
                                        rollup.fold(frame[333:], 300)))
    key = lambda r: (r['workload_id'], r['metric'], r['window_start'])  # noqa
    whole, parts = sorted(whole, key=key), sorted(parts, key=key)
    assert [key(r) for r in whole] == [key(r) for r in parts]
    for a, b in zip(whole, parts, strict=True):
        assert a['count'] == b['count']
        assert a['min'] == b['min'] and a['max'] == b['max']
        assert a['mean'] == pytest.approx(b['mean'], rel=1e-12)
    assert sum(r['count'] for r in whole) == 1000


def test_empty_fold_has_no_rows():
    assert rollup.to_rows(rollup.fold(_frame([]), 300)) == []


def test_buffer_drain_and_restore():
    buffer = rollup.RollupBuffer(60)
    buffer.add(_frame([('w', 'power_watts', 0.0, 100.0)]))
    buffer.add(_frame([('w', 'power_watts', 30.0, 300.0)]))
    assert len(buffer) == 1
    drained = buffer.drain()
    assert len(buffer) == 0
    buffer.restore(drained)
    [row] = rollup.to_rows(buffer.drain())
    assert (row['mean'], row['count']) == (200.0, 2)


def test_window_start():
    assert rollup.window_start(1000.5, 300) == datetime.datetime(
        1970, 1, 1, 0, 15)
