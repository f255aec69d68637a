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
"""The long usage frame with its strings as integer codes.

Pricing reads every row of the usage frame (``workload_id, timestamp,
metric, value``) several times: to group by workload and hour, to pick
the power series, to find the workloads that measured power. Hashing the
workload and metric strings of millions of rows for each of those was
most of its cost; :class:`UsageCodes` turns them into integer codes once
(free when the columns are already categorical, as the agent's reads
deliver them, see :func:`kcloud_analyzer.jobs.frames.usage_from_means`)
and everything after works on integers.
"""

import numpy as np
import pandas as pd

_NS_PER_TICK = {'s': 1_000_000_000, 'ms': 1_000_000, 'us': 1_000, 'ns': 1}
_HOUR_NS = 3600 * 1_000_000_000


#: runs per row up to which the rows of a metric are found from the runs
#: of equal metric codes (:func:`runs`), and the workloads of rows from
#: the runs of equal workload codes (:func:`_run_values`)
_RUNS_PER_ROW = 1 / 64


def _run_values(codes):
    """Each distinct code of ``codes`` at least once: the first of every
    run of equal codes when they come in runs (as a workload's rows do),
    so that marking them costs little; else all of them, as native
    integers."""
    if len(codes) < 2:
        return codes.astype(np.intp)
    change = codes[1:] != codes[:-1]
    if np.count_nonzero(change) > len(codes) * _RUNS_PER_ROW:
        # marking with native indices costs less than with narrow ones
        return codes.astype(np.intp)
    starts = np.flatnonzero(change)
    starts += 1
    return np.concatenate((codes[:1], codes[starts]))


def _few_true(mask, most):
    """``np.flatnonzero(mask)`` when it has at most about ``most`` True
    (None otherwise): eight rows at a time are skipped when all False,
    which spares testing every row for its own index."""
    whole = len(mask) - len(mask) % 8
    hot = mask[:whole].view(np.uint64) != 0
    if np.count_nonzero(hot) > most:
        return None
    hot = np.flatnonzero(hot)
    found = (hot[:, None] * 8 + np.arange(8)).ravel()
    found = found[mask[found]]
    if whole < len(mask):
        found = np.concatenate((found,
                                np.flatnonzero(mask[whole:]) + whole))
    return found


def runs(codes):
    """``(starts, ends, codes)`` of the runs of equal ``codes`` when
    there are few of them (the rows of a metric come together when the
    store returns a workload's rows by metric and time; the instants of
    rollups, when it returns them window after window), else None."""
    if len(codes) < 2:
        return None
    ends = _few_true(codes[1:] != codes[:-1], len(codes) * _RUNS_PER_ROW)
    if ends is None:
        return None
    ends += 1
    starts = np.concatenate(([0], ends))
    ends = np.append(ends, len(codes))
    return starts, ends, codes[starts]


def _rows_of_runs(starts, ends):
    """The rows of the runs ``[starts, ends)``, ascending."""
    lengths = ends - starts
    rows = np.ones(int(lengths.sum()), dtype=np.intp)
    if not len(rows):
        return rows
    # each run's first row after the last row of the run before (runs
    # without rows leave none)
    keep = lengths > 0
    starts, ends, lengths = starts[keep], ends[keep], lengths[keep]
    rows[0] = starts[0]
    rows[np.cumsum(lengths[:-1])] = starts[1:] - ends[:-1] + 1
    return np.cumsum(rows, out=rows)


def _codes(column):
    """``(codes, names)``: integer code of every row (-1 for a missing
    value) and the value of every code, as an object array."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        # the Categorical's own codes, read-only, not a copy of them
        codes = column.array.codes
        names = column.cat.categories
    else:
        codes, names = pd.factorize(column)
    # The codes keep their dtype (int8 for a few categories): arithmetic
    # on them is with int64 scalars, which widens it.
    return codes, np.asarray(names, dtype=object)


class UsageCodes:
    """A usage frame and the integer form of its columns.

    ``workload``: integer code of each row's workload (-1 where missing;
    its dtype may be narrower than int64), into
    ``workload_names``; ``metric``: code of each row's metric, into
    ``metric_names``; ``ticks``: the timestamp as int64 since the epoch
    (UTC) in units of ``tick_ns`` nanoseconds; ``value``: float64.
    """

    def __init__(self, usage):
        self.frame = usage
        self.workload, self.workload_names = _codes(usage['workload_id'])
        self.metric, self.metric_names = _codes(usage['metric'])
        stamps = pd.DatetimeIndex(usage['timestamp'])
        # Integers in the column's own unit: no pass to convert them all.
        self.ticks = stamps.asi8
        self.tick_ns = _NS_PER_TICK[stamps.unit]
        self.value = usage['value'].to_numpy(dtype=float)
        self._masks = {}
        self._rows = {}
        self._workloads = {}
        # runs of equal metric codes (:func:`runs`), found when needed
        self._metric_runs = False

    def ns(self, rows):
        """The timestamps of ``rows`` (indices) as int64 nanoseconds."""
        ns = np.take(self.ticks, rows)
        if self.tick_ns != 1:
            ns *= self.tick_ns
        return ns

    @property
    def ticks_per_hour(self):
        """Ticks in an hour (``ticks // ticks_per_hour`` is the hour)."""
        return _HOUR_NS // self.tick_ns

    def hours(self):
        """Hour of every row, as whole hours since the epoch."""
        return self.ticks // self.ticks_per_hour

    @classmethod
    def of(cls, usage):
        """``usage`` itself when already coded, else its codes."""
        return usage if isinstance(usage, cls) else cls(usage)

    def __len__(self):
        return len(self.workload)

    def is_metric(self, *names):
        """Boolean mask of the rows of any of the metrics ``names`` (a
        new array each call; each metric's mask is made once)."""
        mask = np.zeros(len(self), dtype=bool)
        for name in names:
            if name not in self._masks:
                found = [i for i, known in enumerate(self.metric_names)
                         if known == name]
                self._masks[name] = (self.metric == found[0] if found
                                     else None)
            if self._masks[name] is not None:
                mask |= self._masks[name]
        return mask

    def _metric_rows(self, name):
        """Indices, ascending, of the rows of the metric ``name`` (found
        once; the cached array itself, read-only)."""
        if name not in self._rows:
            codes = [i for i, known in enumerate(self.metric_names)
                     if known == name]
            if not codes:
                found = np.empty(0, np.intp)
            else:
                if self._metric_runs is False:
                    self._metric_runs = runs(self.metric)
                if self._metric_runs is None:
                    found = np.flatnonzero(self.metric == codes[0])
                else:
                    starts, ends, run_codes = self._metric_runs
                    chosen = run_codes == codes[0]
                    found = _rows_of_runs(starts[chosen], ends[chosen])
            found.flags.writeable = False
            self._rows[name] = found
        return self._rows[name]

    def rows_of(self, *names):
        """Indices, ascending, of the rows of any of the metrics
        ``names`` (each metric's are found once, from the runs of equal
        metric codes when they are few, else in one pass over the codes;
        a new array each call)."""
        found = [rows for rows in map(self._metric_rows,
                                      dict.fromkeys(names)) if len(rows)]
        if len(found) <= 1:
            return (found[0].copy() if found
                    else np.empty(0, dtype=np.intp))
        # the metrics' rows are disjoint: sorting them merges them
        return np.sort(np.concatenate(found))

    def workloads_of(self, name):
        """The workload code of every row of the metric ``name``, in the
        order of :meth:`rows_of` (gathered once; the cached array itself,
        read-only)."""
        if name not in self._workloads:
            found = np.take(self.workload, self._metric_rows(name))
            found.flags.writeable = False
            self._workloads[name] = found
        return self._workloads[name]

    def has_metric(self, *names):
        """Boolean per workload code: has a row of any of the metrics
        ``names``; :meth:`per_workload` of their rows."""
        found = np.zeros(len(self.workload_names) + 1, dtype=bool)
        for name in dict.fromkeys(names):
            found[_run_values(self.workloads_of(name))] = True
        return found[:-1]

    def per_workload(self, rows):
        """Boolean per workload code: has a row in ``rows`` (a boolean
        mask or row indices)."""
        found = np.zeros(len(self.workload_names) + 1, dtype=bool)
        found[_run_values(self.workload[rows])] = True
        return found[:-1]

    def of_workloads(self, chosen):
        """Boolean mask of the rows whose workload code is ``chosen`` (a
        boolean per workload code); rows without a workload are not."""
        if not chosen.any():
            return np.zeros(len(self), dtype=bool)
        return np.append(chosen, False)[self.workload]
