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

import gzip

import numpy as np
import pandas as pd
import pytest

from kcloud_analyzer.common import offline

WORKLOADS_HEADER = ('workload_id,type,cpu_cores,memory_gb,gpu_count,'
                    'npu_count,accelerator,project_id\n')
USAGE_HEADER = 'workload_id,timestamp,metric,value\n'


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_load_workloads_types_and_blanks(tmp_path):
    path = _write(tmp_path, 'workloads.csv', WORKLOADS_HEADER
                  + 'w1,training,32,256,8,0,A100,p1\n'
                  + 'w2,,4.5,16.25,,,,p2\n')
    frame = offline.load_workloads(path)
    assert list(frame.columns) == list(offline.WORKLOAD_COLUMNS)
    assert frame['workload_id'].tolist() == ['w1', 'w2']
    assert frame['type'].tolist() == ['training', None]
    assert frame['cpu_cores'].tolist() == [32.0, 4.5]
    assert frame['memory_gb'].tolist() == [256.0, 16.25]
    assert frame['gpu_count'].tolist() == [8, 0]
    assert frame['gpu_count'].dtype == np.int64
    assert frame['npu_count'].tolist() == [0, 0]
    assert frame['accelerator'].tolist() == ['A100', None]
    assert frame['project_id'].tolist() == ['p1', 'p2']


@pytest.mark.parametrize('row, reason', [
    ('w1,training,x,256,8,0,A100,p1', "cpu_cores 'x'"),
    ('w1,training,4,256,1.5,0,A100,p1', "gpu_count '1.5'"),
    ('w1,training,4,-1,1,0,A100,p1', "memory_gb '-1'"),
    ('w1,batch,4,16,1,0,A100,p1', "unknown type 'batch'"),
    (',training,4,16,1,0,A100,p1', 'workload_id is blank'),
    ('w0,,4,16,1,0,,p1', "duplicate workload_id 'w0'"),
])
def test_load_workloads_refuses_bad_rows_with_line(tmp_path, row, reason):
    path = _write(tmp_path, 'workloads.csv', WORKLOADS_HEADER
                  + 'w0,,4,16,0,0,,p1\n' + 'w9,,4,16,0,0,,p1\n' + row + '\n')
    with pytest.raises(offline.InputError) as exc:
        offline.load_workloads(path)
    assert exc.value.line == 4
    assert exc.value.path == str(path)
    assert reason in exc.value.reason
    assert str(exc.value).startswith(f'{path}:4: ')


def test_load_workloads_missing_column(tmp_path):
    path = _write(tmp_path, 'workloads.csv',
                  'workload_id,type,cpu_cores\nw1,,4\n')
    with pytest.raises(offline.InputError) as exc:
        offline.load_workloads(path)
    assert exc.value.line == 1
    assert 'memory_gb' in exc.value.reason


def test_load_usage_parses_long_form(tmp_path):
    path = _write(tmp_path, 'usage.csv', USAGE_HEADER
                  + 'w1,2026-01-31T12:00:00Z,gpu_utilization,55.5\n'
                  + 'w1,2026-01-31T13:00:30+01:00,power_watts,300\n'
                  + 'w2,2026-01-31T12:01:00,cpu_utilization,1e1\n')
    frame = offline.load_usage(path)
    assert list(frame.columns) == list(offline.USAGE_COLUMNS)
    assert str(frame['timestamp'].dtype) == 'datetime64[ns, UTC]'
    expected = pd.to_datetime(['2026-01-31T12:00:00Z',
                               '2026-01-31T12:00:30Z',
                               '2026-01-31T12:01:00Z'], utc=True)
    assert (frame['timestamp'].to_numpy() == expected.to_numpy()).all()
    assert frame['metric'].tolist() == ['gpu_utilization', 'power_watts',
                                        'cpu_utilization']
    assert frame['value'].tolist() == [55.5, 300.0, 10.0]


def test_load_usage_reads_gzip(tmp_path):
    path = tmp_path / 'usage.csv.gz'
    with gzip.open(path, 'wt') as handle:
        handle.write(USAGE_HEADER + 'w1,2026-01-31T12:00:00Z,storage_gb,5\n')
    frame = offline.load_usage(path)
    assert frame['value'].tolist() == [5.0]


@pytest.mark.parametrize('row, reason', [
    ('w1,2026-01-31T12:00:00Z,gpu_util,5', "unknown metric 'gpu_util'"),
    ('w1,yesterday,gpu_utilization,5', "bad timestamp 'yesterday'"),
    ('w1,2026-13-31T12:00:00Z,gpu_utilization,5', 'bad timestamp'),
    ('w1,2026-01-31T12:00:00Z,gpu_utilization,lots', "value 'lots'"),
    ('w1,2026-01-31T12:00:00Z,gpu_utilization,', "value ''"),
    (',2026-01-31T12:00:00Z,gpu_utilization,5', 'workload_id is blank'),
])
def test_load_usage_refuses_bad_rows_with_line(tmp_path, row, reason):
    good = 'w1,2026-01-31T12:00:00Z,cpu_utilization,5\n'
    path = _write(tmp_path, 'usage.csv',
                  USAGE_HEADER + good * 3 + row + '\n' + good)
    with pytest.raises(offline.InputError) as exc:
        offline.load_usage(path)
    assert exc.value.line == 5
    assert reason in exc.value.reason
    assert str(exc.value).startswith(f'{path}:5: ')


def test_load_usage_reports_earliest_of_several_problems(tmp_path):
    path = _write(tmp_path, 'usage.csv', USAGE_HEADER
                  + 'w1,2026-01-31T12:00:00Z,cpu_utilization,5\n'
                  + 'w1,2026-01-31T12:00:00Z,cpu_utilization,x\n'
                  + 'w1,2026-01-31T12:00:00Z,bogus,5\n')
    with pytest.raises(offline.InputError) as exc:
        offline.load_usage(path)
    assert exc.value.line == 3
    assert 'value' in exc.value.reason


def test_load_usage_missing_column(tmp_path):
    path = _write(tmp_path, 'usage.csv', 'workload_id,timestamp,value\n')
    with pytest.raises(offline.InputError) as exc:
        offline.load_usage(path)
    assert exc.value.line == 1
    assert 'metric' in exc.value.reason


def test_load_usage_ragged_row(tmp_path):
    path = _write(tmp_path, 'usage.csv', USAGE_HEADER
                  + 'w1,2026-01-31T12:00:00Z,cpu_utilization,5\n'
                  + 'w1,2026-01-31T12:00:00Z,cpu_utilization,5,7\n')
    with pytest.raises(offline.InputError) as exc:
        offline.load_usage(path)
    assert exc.value.line == 3


def test_input_error_is_value_error():
    error = offline.InputError('a.csv', 7, 'bad')
    assert isinstance(error, ValueError)
    assert str(error) == 'a.csv:7: bad'
