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


def test_empty_fold_has_no_rows():
    assert rollup.to_rows(rollup.fold(_frame([]), 300)) == []
