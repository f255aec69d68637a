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
one window (``[DEFAULT] rollup_window``, 5 minutes by default). Folds are
kept as sums so that two of them merge exactly (count-weighted mean), the
same way ``db.api.rollups_upsert`` merges them into stored rows.
"""


import numpy as np
import pandas as pd

KEY = ['workload_id', 'metric', 'window_start']
_FOLD_COLUMNS = ['sum', 'min', 'max', 'count']


def _empty_fold():
    index = pd.MultiIndex.from_arrays(
        [pd.Index([], dtype=object), pd.Index([], dtype=object),
         pd.Index([], dtype='int64')], names=KEY)
    return pd.DataFrame({'sum': pd.Series(dtype='float64'),
                         'min': pd.Series(dtype='float64'),
                         'max': pd.Series(dtype='float64'),
                         'count': pd.Series(dtype='int64')}, index=index)


def fold(frame, window):
    """Fold samples into per-window sums.

    ``frame`` has columns workload_id, metric, timestamp (epoch seconds,
    UTC) and value. Returns a frame indexed by (workload_id, metric,
    window_start as epoch seconds) with columns sum, min, max, count.
    Non-finite values are dropped.
    """
    if frame.empty:
        return _empty_fold()
    values = frame['value'].to_numpy(dtype='float64')
    finite = np.isfinite(values)
    timestamps = frame['timestamp'].to_numpy(dtype='float64')[finite]
    starts = (np.floor(timestamps / window) * window).astype('int64')
    samples = pd.DataFrame({
        'workload_id': frame['workload_id'].to_numpy()[finite],
        'metric': frame['metric'].to_numpy()[finite],
        'window_start': starts,
        'value': values[finite],
    })
    if samples.empty:
        return _empty_fold()
    folded = samples.groupby(KEY, sort=False)['value'].agg(
        ['sum', 'min', 'max', 'count'])
    return folded[_FOLD_COLUMNS]


ROW_COLUMNS = ['workload_id', 'metric', 'window_start', 'mean', 'min', 'max',
               'count']


def to_frame(folded):
    """Rows for ``db.api.rollups_upsert`` as one frame (window starts as
    naive UTC datetimes), in key order: concurrent writers then lock
    existing rows in the same order and cannot deadlock each other."""
    flat = folded.sort_index().reset_index()
    return pd.DataFrame({
        'workload_id': flat['workload_id'],
        'metric': flat['metric'],
        'window_start': pd.to_datetime(flat['window_start'].to_numpy(
            dtype='int64'), unit='s'),
        'mean': flat['sum'].to_numpy(dtype='float64') / flat[
            'count'].to_numpy(dtype='float64'),
        'min': flat['min'].to_numpy(dtype='float64'),
        'max': flat['max'].to_numpy(dtype='float64'),
        'count': flat['count'].to_numpy(dtype='int64'),
    }, columns=ROW_COLUMNS)


def to_rows(folded):
    """:func:`to_frame` as a list of dicts."""
    if folded.empty:
        return []
    frame = to_frame(folded)
    rows = frame.assign(window_start=list(
        frame['window_start'].dt.to_pydatetime())).to_dict('records')
    for row in rows:
        row['count'] = int(row['count'])
    return rows
