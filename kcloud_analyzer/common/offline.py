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
"""Loading of the offline input files (``workloads.csv`` and ``usage.csv``).

The shapes are the ones in the design document::

    workloads.csv: workload_id,type,cpu_cores,memory_gb,gpu_count,npu_count,
                   accelerator,project_id
    usage.csv:     workload_id,timestamp,metric,value   (long form)

Files may be gzip-compressed (``.csv.gz``). Validation is vectorised: every
check builds a boolean mask over all rows and the first offending row is
reported with its line number in the file (the header is line 1), so a
user can open the file at the right place.
"""

import re

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics

WORKLOAD_COLUMNS = ('workload_id', 'type', 'cpu_cores', 'memory_gb',
                    'gpu_count', 'npu_count', 'accelerator', 'project_id')
USAGE_COLUMNS = ('workload_id', 'timestamp', 'metric', 'value')

# The first data row is line 2 of the file because the header is line 1.
_FIRST_DATA_LINE = 2
_HEADER_LINE = 1

_PARSER_LINE = re.compile(r'line (\d+)')


class InputError(ValueError):
    """A malformed offline input file.

    ``path`` and ``line`` locate the problem (``line`` counts the header as
    line 1; it is ``None`` when the problem is the whole file) and ``reason``
    says what is wrong.
    """

    def __init__(self, path, line, reason):
        self.path = str(path)
        self.line = line
        self.reason = reason
        if line is None:
            message = f'{self.path}: {reason}'
        else:
            message = f'{self.path}:{line}: {reason}'
        super().__init__(message)


def _read_raw(path, required_columns):
    """Read every cell as text so that validation sees what the user wrote."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False,
                            skip_blank_lines=False, compression='infer')
    except FileNotFoundError:
        raise InputError(path, None, 'no such file')
    except pd.errors.EmptyDataError:
        raise InputError(path, None, 'the file is empty')
    except pd.errors.ParserError as exc:
        match = _PARSER_LINE.search(str(exc))
        line = int(match.group(1)) if match else None
        raise InputError(path, line, f'cannot parse the row: {exc}')
    except UnicodeDecodeError as exc:
        raise InputError(path, None, f'not a UTF-8 text file: {exc}')
    frame.columns = [column.strip() for column in frame.columns]
    missing = [c for c in required_columns if c not in frame.columns]
    if missing:
        raise InputError(path, _HEADER_LINE,
                         f'missing column(s): {", ".join(missing)} '
                         f'(expected {",".join(required_columns)})')
    return frame


def _raise_first(path, checks):
    """Raise InputError for the earliest row that fails any check.

    ``checks`` is a sequence of ``(mask, reason)`` pairs where ``reason`` is
    a callable taking the row index and returning the message. The mask of
    each check is searched with numpy; ties on one row go to the check
    listed first.
    """
    first_row, first_reason = None, None
    for mask, reason in checks:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            continue
        row = int(np.argmax(mask))
        if first_row is None or row < first_row:
            first_row, first_reason = row, reason
    if first_row is not None:
        raise InputError(path, first_row + _FIRST_DATA_LINE,
                         first_reason(first_row))


def _numbers(series):
    """Parse text to floats; blanks and non-numbers become NaN."""
    return pd.to_numeric(series.str.strip(), errors='coerce').to_numpy(
        dtype=float, na_value=np.nan)


def load_workloads(path):
    """Load and validate ``workloads.csv``.

    :returns: a DataFrame with one row per workload and the columns
        ``workload_id`` (str), ``type`` (str or None when unknown),
        ``cpu_cores`` and ``memory_gb`` (float), ``gpu_count`` and
        ``npu_count`` (int; blank means 0), ``accelerator`` (str or None) and
        ``project_id`` (str).
    :raises InputError: on a missing column, a blank workload_id, a
        duplicated workload_id, an unknown type or a bad number.
    """
    raw = _read_raw(path, WORKLOAD_COLUMNS)
    workload_id = raw['workload_id'].str.strip()
    declared_type = raw['type'].str.strip()
    cpu_cores = _numbers(raw['cpu_cores'])
    memory_gb = _numbers(raw['memory_gb'])
    gpu_text = raw['gpu_count'].str.strip().replace('', '0')
    npu_text = raw['npu_count'].str.strip().replace('', '0')
    gpu_count = _numbers(gpu_text)
    npu_count = _numbers(npu_text)

    def not_a_count(values):
        with np.errstate(invalid='ignore'):
            return ~np.isfinite(values) | (values < 0) | (values % 1 != 0)

    def not_a_size(values):
        with np.errstate(invalid='ignore'):
            return ~np.isfinite(values) | (values < 0)

    type_known = declared_type.eq('') | declared_type.isin(
        metrics.WORKLOAD_TYPES)
    _raise_first(path, (
        (workload_id.eq('').to_numpy(), lambda r: 'workload_id is blank'),
        (workload_id.duplicated().to_numpy(),
         lambda r: f'duplicate workload_id {workload_id.iloc[r]!r}'),
        (~type_known.to_numpy(),
         lambda r: f'unknown type {declared_type.iloc[r]!r} (expected one '
         f'of {", ".join(metrics.WORKLOAD_TYPES)}, or blank)'),
        (not_a_size(cpu_cores),
         lambda r: f'cpu_cores {raw["cpu_cores"].iloc[r]!r} is not a '
         'non-negative number'),
        (not_a_size(memory_gb),
         lambda r: f'memory_gb {raw["memory_gb"].iloc[r]!r} is not a '
         'non-negative number'),
        (not_a_count(gpu_count),
         lambda r: f'gpu_count {raw["gpu_count"].iloc[r]!r} is not a '
         'non-negative integer'),
        (not_a_count(npu_count),
         lambda r: f'npu_count {raw["npu_count"].iloc[r]!r} is not a '
         'non-negative integer'),
    ))

    accelerator = raw['accelerator'].str.strip()
    return pd.DataFrame({
        'workload_id': workload_id.astype(object),
        'type': declared_type.astype(object).where(declared_type.ne(''),
                                                   None),
        'cpu_cores': cpu_cores,
        'memory_gb': memory_gb,
        'gpu_count': gpu_count.astype(np.int64),
        'npu_count': npu_count.astype(np.int64),
        'accelerator': accelerator.astype(object).where(accelerator.ne(''),
                                                        None),
        'project_id': raw['project_id'].str.strip().astype(object),
    })


def load_usage(path):
    """Load and validate ``usage.csv`` (long form).

    :returns: a DataFrame with the columns ``workload_id`` (str),
        ``timestamp`` (datetime64, UTC), ``metric`` (one of
        :data:`kcloud_analyzer.common.metrics.CANONICAL_METRICS`) and
        ``value`` (float), in file order.
    :raises InputError: on a missing column, a blank workload_id, an unknown
        metric, a timestamp that is not ISO 8601, or a value that is not a
        finite number.
    """
    raw = _read_raw(path, USAGE_COLUMNS)
    workload_id = raw['workload_id'].str.strip()
    metric = raw['metric'].str.strip()
    timestamp_text = raw['timestamp'].str.strip()
    # Timestamps without an offset are taken as UTC, as the design says;
    # ones with an offset are converted to UTC.
    timestamp = pd.to_datetime(timestamp_text, utc=True, errors='coerce',
                               format='ISO8601')
    value = _numbers(raw['value'])

    _raise_first(path, (
        (workload_id.eq('').to_numpy(), lambda r: 'workload_id is blank'),
        (~metric.isin(metrics.CANONICAL_METRICS).to_numpy(),
         lambda r: f'unknown metric {metric.iloc[r]!r} (expected one of '
         f'{", ".join(metrics.CANONICAL_METRICS)})'),
        (timestamp.isna().to_numpy(),
         lambda r: f'bad timestamp {timestamp_text.iloc[r]!r} (expected '
         'ISO 8601, e.g. 2026-01-31T12:00:00Z)'),
        (~np.isfinite(value),
         lambda r: f'value {raw["value"].iloc[r]!r} is not a number'),
    ))

    return pd.DataFrame({
        'workload_id': workload_id.astype(object),
        'timestamp': timestamp.astype('datetime64[ns, UTC]'),
        'metric': metric.astype(object),
        'value': value,
    })
