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
import pandas as pd
import pytest

from kcloud_analyzer.common import metrics as m
from kcloud_analyzer.metrics_collector import collectors
from kcloud_analyzer.metrics_collector.collectors import replay

USAGE = """workload_id,timestamp,metric,value
w1,2026-01-01T00:00:00Z,gpu_utilization,10
w2,2026-01-01T00:00:00Z,gpu_utilization,20
w1,2026-01-01T00:01:00Z,gpu_utilization,30
w1,2026-01-01T00:01:00Z,power_watts,300
w2,2026-01-01T00:02:00Z,gpu_utilization,40
"""
WORKLOADS = """\
workload_id,type,cpu_cores,memory_gb,gpu_count,npu_count,accelerator,\
project_id
w1,training,8,32,1,0,a100,p1
w2,,4,16,0,0,,p2
"""


@pytest.fixture
def trace_conf(conf, tmp_path):
    (tmp_path / 'usage.csv').write_text(USAGE)
    (tmp_path / 'workloads.csv').write_text(WORKLOADS)
    conf.set_override('usage_file', str(tmp_path / 'usage.csv'),
                      group='replay_collector')
    conf.set_override('workloads_file', str(tmp_path / 'workloads.csv'),
                      group='replay_collector')
    conf.set_override('speed', 60.0, group='replay_collector')
    conf.set_override('shift_to_now', False, group='replay_collector')
    return conf


def test_replay_at_speed(trace_conf):
    collector = replay.ReplayCollector(trace_conf)
    assert collector.targets() == ['w1', 'w2']
    start = 1000.0
    first = collector.poll(['w1', 'w2'], start)
    assert sorted(first['value']) == [10.0, 20.0]
    # one wall second at speed 60 is one trace minute
    second = collector.poll(['w1', 'w2'], start + 1.0)
    assert sorted(second['value']) == [30.0, 300.0]
    assert set(second['metric']) == {m.GPU_UTILIZATION, m.POWER_WATTS}
    # samples of one workload and time share a message id
    assert second['message_id'].nunique() == 1
    assert not collector.finished()
    third = collector.poll(['w1', 'w2'], start + 5.0)
    assert list(third['value']) == [40.0]
    assert third['timestamp'].iloc[0] == pd.Timestamp(
        '2026-01-01T00:02:00Z').timestamp()
    assert collector.finished()
    assert collector.poll(['w1', 'w2'], start + 6.0).empty


def test_replay_only_given_targets_and_shifted_to_now(trace_conf):
    trace_conf.set_override('shift_to_now', True, group='replay_collector')
    collector = replay.ReplayCollector(trace_conf)
    samples = collector.poll(['w2'], 5000.0)
    assert list(samples['resource_id']) == ['w2']
    # the trace ends (00:02) at the first poll: its start is 2 minutes back
    assert list(samples['timestamp']) == [5000.0 - 120.0]


def test_replay_workloads(trace_conf):
    collector = replay.ReplayCollector(trace_conf)
    [record] = collector.workloads(['w1'])
    assert record['declared_type'] == 'training'
    assert record['resources']['gpu_count'] == 1
    assert record['project_id'] == 'p1'
    assert collector.workloads(['w2'])[0]['declared_type'] is None


def test_bundled_trace_has_every_class(conf):
    collector = replay.ReplayCollector(conf)
    records = collector.workloads(collector.targets())
    assert len(records) == len(collector.targets()) >= 6
    names = ' '.join(r['workload_id'] for r in records)
    for kind in ('train', 'infer', 'serve'):
        assert kind in names
    assert collector.trace_end - collector.trace_start >= 3600


def test_loading_by_name(conf):
    loaded = collectors.load(conf, ['replay', 'no-such-collector'])
    assert list(loaded) == ['replay']
    assert isinstance(loaded['replay'], replay.ReplayCollector)
