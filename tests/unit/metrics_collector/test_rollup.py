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

from kcloud_analyzer.metrics_collector import rollup


def _frame(rows):
    return pd.DataFrame(rows, columns=['workload_id', 'metric', 'timestamp',
                                       'value'])


def test_fold_per_window():
    folded = rollup.rows(_frame([
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


def test_empty_fold_has_no_rows():
    assert rollup.to_rows(rollup.rows(_frame([]), 300)) == []


def test_rows_match_a_groupby_in_key_order():
    rng = np.random.default_rng(7)
    n = 5000
    workloads = rng.choice(['w-b', 'w-a', 'w-c', None], n).astype(object)
    frame = pd.DataFrame({
        'workload_id': workloads,
        'metric': rng.choice(['power', 'gpu_utilization', 'cpu_util'], n),
        'timestamp': rng.uniform(1.7e9, 1.7e9 + 7200, n),
        'value': np.where(rng.random(n) < 0.05, np.nan,
                          rng.normal(50, 20, n)),
    })
    frame.loc[rng.random(n) < 0.01, 'value'] = np.inf
    rows = rollup.rows(frame, 300)

    kept = frame[np.isfinite(frame['value']) &
                 frame['workload_id'].notna()].copy()
    kept['window_start'] = pd.to_datetime(
        (np.floor(kept['timestamp'] / 300) * 300).astype('int64'), unit='s')
    expected = kept.groupby(['workload_id', 'metric', 'window_start'])[
        'value'].agg(['mean', 'min', 'max', 'count']).reset_index()
    assert list(rows.columns) == rollup.ROW_COLUMNS
    for column in ('workload_id', 'metric', 'window_start', 'min', 'max',
                   'count'):
        assert rows[column].tolist() == expected[column].tolist(), column
    np.testing.assert_allclose(rows['mean'], expected['mean'], rtol=1e-12)
    assert rows['window_start'].dtype == expected['window_start'].dtype
    assert rows['count'].sum() == len(kept)


def test_rows_of_samples_without_finite_values():
    rows = rollup.rows(_frame([('w1', 'power', 0.0, np.nan),
                               ('w1', 'power', 1.0, -np.inf)]), 300)
    assert rows.empty
    assert list(rows.columns) == rollup.ROW_COLUMNS
