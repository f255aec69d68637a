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
"""Folding raw samples into per-window rollups, in memory and vectorised.

A rollup is the mean, min, max and count of one metric of one workload in
one window (``[DEFAULT] rollup_window``, 5 minutes by default);
``db.api.rollups_upsert`` merges a batch's rollup into a stored one as a
count-weighted mean.
"""


import numpy as np
import pandas as pd

ROW_COLUMNS = ['workload_id', 'metric', 'window_start', 'mean', 'min', 'max',
               'count']


def _frame(workloads, metrics, starts, means, minima, maxima, counts):
    return pd.DataFrame({
        'workload_id': workloads,
        'metric': metrics,
        'window_start': pd.to_datetime(starts, unit='s'),
        'mean': means,
        'min': minima,
        'max': maxima,
        'count': counts,
    }, columns=ROW_COLUMNS)


def rows(frame, window):
    """Fold samples into per-window rollups: the rows for
    ``db.api.rollups_upsert`` as one frame, one row per (workload_id,
    metric, window_start) with the mean, min, max and count of its
    values.

    ``frame`` has columns workload_id, metric, timestamp (epoch seconds,
    UTC) and value; samples without a finite value, a workload or a
    metric are left out. Window starts are naive UTC datetimes. The rows
    come in key order: concurrent writers then lock existing rows in the
    same order and cannot deadlock each other. One sort of the batch's
    keys and one pass of each reduction over the sorted values.
    """
    values = frame['value'].to_numpy(dtype='float64')
    workloads = frame['workload_id'].to_numpy(dtype=object)
    metrics = frame['metric'].to_numpy(dtype=object)
    timestamps = frame['timestamp'].to_numpy(dtype='float64')
    # codes in the order of the sorted names, -1 where one is missing
    workload_codes, workload_names = pd.factorize(workloads, sort=True)
    metric_codes, metric_names = pd.factorize(metrics, sort=True)
    keep = np.isfinite(values) & (workload_codes >= 0) & (metric_codes >= 0)
    if not keep.all():
        values, timestamps = values[keep], timestamps[keep]
        workload_codes = workload_codes[keep]
        metric_codes = metric_codes[keep]
    if not len(values):
        empty = np.empty(0, dtype=object)
        return _frame(empty, empty, np.empty(0, dtype='int64'),
                      *(np.empty(0, dtype='float64'),) * 3,
                      np.empty(0, dtype='int64'))
    starts = (np.floor(timestamps / window) * window).astype('int64')
    order = np.lexsort((starts, metric_codes, workload_codes))
    workload_codes = workload_codes[order]
    metric_codes = metric_codes[order]
    starts, values = starts[order], values[order]
    first = np.flatnonzero(np.concatenate((
        [True], (workload_codes[1:] != workload_codes[:-1]) |
        (metric_codes[1:] != metric_codes[:-1]) |
        (starts[1:] != starts[:-1]))))
    counts = np.diff(np.append(first, len(values)))
    return _frame(
        np.asarray(workload_names, dtype=object)[workload_codes[first]],
        np.asarray(metric_names, dtype=object)[metric_codes[first]],
        starts[first], np.add.reduceat(values, first) / counts,
        np.minimum.reduceat(values, first),
        np.maximum.reduceat(values, first), counts)


def to_rows(frame):
    """Rows of :func:`rows` as a list of dicts (window starts as
    datetimes, counts as ints)."""
    if frame.empty:
        return []
    rows = frame.assign(window_start=list(
        frame['window_start'].dt.to_pydatetime())).to_dict('records')
    for row in rows:
        row['count'] = int(row['count'])
    return rows
