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
import numpy as np
import pandas as pd
import pytest

from kcloud_analyzer.common import metrics as m
from kcloud_analyzer.metrics_collector import normalise


def _series(rows):
    return pd.DataFrame(rows, columns=['resource_id', 'device', 'source',
                                       'timestamp', 'value'])


def _value(samples, metric, resource='vm-1'):
    picked = samples[(samples['metric'] == metric) &
                     (samples['resource_id'] == resource)]
    assert len(picked) == 1, picked
    return picked['value'].iloc[0]


def test_every_mapping_targets_a_canonical_metric():
    for table in (normalise.PROMETHEUS_METRICS, normalise.CEILOMETER_METERS):
        for source, mapping in table.items():
            assert mapping.canonical in m.CANONICAL_METRICS, source


def test_dcgm_old_and_renamed_fields_give_the_same_values():
    # DCGM 4.6 renamed field 203 to ..._GPU_UTIL_RATIO but kept its int64
    # percent value (dcgm_fields.cpp, DcgmCacheManager.cpp)
    old = normalise.normalise_prometheus(_series([
        ('vm-1', '0', 'DCGM_FI_DEV_GPU_UTIL', 100.0, 80.0),
        ('vm-1', '1', 'DCGM_FI_DEV_GPU_UTIL', 100.0, 40.0),
        ('vm-1', '0', 'DCGM_FI_DEV_POWER_USAGE', 100.0, 300.0),
        ('vm-1', '1', 'DCGM_FI_DEV_POWER_USAGE', 100.0, 150.0),
    ]))
    new = normalise.normalise_prometheus(_series([
        ('vm-1', '0', 'DCGM_FI_DEV_GPU_UTIL_RATIO', 100.0, 80.0),
        ('vm-1', '1', 'DCGM_FI_DEV_GPU_UTIL_RATIO', 100.0, 40.0),
        ('vm-1', '0', 'DCGM_FI_DEV_BOARD_POWER_WATTS', 100.0, 300.0),
        ('vm-1', '1', 'DCGM_FI_DEV_BOARD_POWER_WATTS', 100.0, 150.0),
    ]))
    for samples in (old, new):
        # utilisation is averaged over devices, watts are summed
        assert _value(samples, m.GPU_UTILIZATION) == pytest.approx(60.0)
        assert _value(samples, m.ACCELERATOR_POWER_WATTS) == pytest.approx(
            450.0)


def test_a_device_reported_under_both_names_counts_once():
    samples = normalise.normalise_prometheus(_series([
        ('vm-1', '0', 'DCGM_FI_DEV_POWER_USAGE', 100.0, 300.0),
        ('vm-1', '0', 'DCGM_FI_DEV_BOARD_POWER_WATTS', 100.0, 300.0),
    ]))
    assert _value(samples, m.ACCELERATOR_POWER_WATTS) == pytest.approx(300.0)


def test_energy_counter_rate_is_used_only_without_a_power_gauge():
    # 250,000 mJ/s is 250 W
    only_energy = normalise.normalise_prometheus(_series([
        ('vm-1', '0', 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 100.0,
         250000.0),
    ]))
    assert _value(only_energy, m.ACCELERATOR_POWER_WATTS) == pytest.approx(
        250.0)
    both = normalise.normalise_prometheus(_series([
        ('vm-1', '0', 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 100.0,
         250000.0),
        ('vm-1', '0', 'DCGM_FI_DEV_POWER_USAGE', 100.0, 240.0),
    ]))
    assert _value(both, m.ACCELERATOR_POWER_WATTS) == pytest.approx(240.0)


def test_framebuffer_used_and_free_give_memory_percent():
    samples = normalise.normalise_prometheus(_series([
        ('vm-1', '0', 'DCGM_FI_DEV_FB_USED', 100.0, 30000.0),
        ('vm-1', '0', 'DCGM_FI_DEV_FB_FREE', 100.0, 10000.0),
        ('vm-1', '1', 'DCGM_FI_DEV_FB_USED', 100.0, 10000.0),
        ('vm-1', '1', 'DCGM_FI_DEV_FB_FREE', 100.0, 30000.0),
    ]))
    assert _value(samples, m.GPU_MEMORY_UTILIZATION) == pytest.approx(50.0)


def test_framebuffer_ratio_is_used_only_without_used_and_free():
    # DCGM_FI_DEV_FB_USED_RATIO (254) is 0.0-1.0
    alone = normalise.normalise_prometheus(_series([
        ('vm-1', '0', 'DCGM_FI_DEV_FB_USED_RATIO', 100.0, 0.25)]))
    assert _value(alone, m.GPU_MEMORY_UTILIZATION) == pytest.approx(25.0)
    both = normalise.normalise_prometheus(_series([
        ('vm-1', '0', 'DCGM_FI_DEV_FB_USED_PERCENT', 100.0, 0.26),
        ('vm-1', '0', 'DCGM_FI_DEV_FB_USED', 100.0, 30000.0),
        ('vm-1', '0', 'DCGM_FI_DEV_FB_FREE', 100.0, 10000.0)]))
    assert _value(both, m.GPU_MEMORY_UTILIZATION) == pytest.approx(75.0)


@pytest.mark.parametrize('rows, expected', [
    # Ascend: percent, HBM in MB, watts
    ([('npu_chip_info_utilization', 70.0),
      ('npu_chip_info_hbm_used_memory', 16384.0),
      ('npu_chip_info_hbm_total_memory', 65536.0),
      ('npu_chip_info_power', 310.0)],
     {m.NPU_UTILIZATION: 70.0, m.NPU_MEMORY_UTILIZATION: 25.0,
      m.ACCELERATOR_POWER_WATTS: 310.0}),
    # FuriosaAI
    ([('furiosa_npu_core_utilization', 55.0),
      ('furiosa_npu_hw_power', 120.0)],
     {m.NPU_UTILIZATION: 55.0, m.ACCELERATOR_POWER_WATTS: 120.0}),
    # Rebellions (DRAM in GiB)
    ([('RBLN_DEVICE_STATUS:UTILIZATION', 35.0),
      ('RBLN_DEVICE_STATUS:DRAM_USED', 12.0),
      ('RBLN_DEVICE_STATUS:DRAM_TOTAL', 16.0),
      ('RBLN_DEVICE_STATUS:CARD_POWER', 60.0)],
     {m.NPU_UTILIZATION: 35.0, m.NPU_MEMORY_UTILIZATION: 75.0,
      m.ACCELERATOR_POWER_WATTS: 60.0}),
])
def test_npu_exporters(rows, expected):
    samples = normalise.normalise_prometheus(_series(
        [('vm-1', 'npu0', name, 60.0, value) for name, value in rows]))
    assert set(samples['metric']) == set(expected)
    for metric, value in expected.items():
        assert _value(samples, metric) == pytest.approx(value)


def test_unknown_exporter_metrics_are_dropped():
    samples = normalise.normalise_prometheus(_series([
        ('vm-1', '0', 'DCGM_FI_DEV_GPU_TEMP', 100.0, 60.0),
        ('vm-1', '0', 'node_load1', 100.0, 1.0),
    ]))
    assert samples.empty
    assert list(samples.columns) == list(normalise.SAMPLE_COLUMNS)


def _ceilometer(rows):
    frame = pd.DataFrame(rows, columns=['resource_id', 'source', 'timestamp',
                                        'value', 'vcpus', 'memory_mb'])
    return frame.assign(device=frame['resource_id'])


def test_ceilometer_cumulative_cpu_becomes_utilisation_across_batches():
    rates = normalise.CumulativeRates()
    first = normalise.normalise_ceilometer(_ceilometer([
        ('vm-1', 'cpu', 0.0, 0.0, 4, 8192),
    ]), rates)
    # the first sample has no predecessor
    assert first.empty
    # 4 vCPUs busy 50 % for 30 s = 60e9 ns
    second = normalise.normalise_ceilometer(_ceilometer([
        ('vm-1', 'cpu', 30.0, 60e9, 4, 8192),
        ('vm-1', 'cpu', 60.0, 180e9, 4, 8192),
    ]), rates)
    assert list(second.sort_values('timestamp')['value']) == pytest.approx(
        [50.0, 100.0])


def test_ceilometer_counter_reset_gives_no_rate():
    rates = normalise.CumulativeRates()
    samples = normalise.normalise_ceilometer(_ceilometer([
        ('vm-1', 'network.incoming.bytes', 0.0, 5000.0, 1, 1024),
        ('vm-1', 'network.incoming.bytes', 10.0, 6000.0, 1, 1024),
        ('vm-1', 'network.incoming.bytes', 20.0, 100.0, 1, 1024),
    ]), rates)
    assert list(samples['value']) == pytest.approx([100.0])
    assert list(samples['metric']) == [m.NETWORK_RX_BYTES_PER_S]


def test_ceilometer_memory_usage_is_percent_of_flavor_ram():
    samples = normalise.normalise_ceilometer(_ceilometer([
        ('vm-1', 'memory.usage', 0.0, 2048.0, 2, 8192),
        ('vm-2', 'memory.usage', 0.0, 2048.0, 2, np.nan),
    ]), normalise.CumulativeRates())
    # vm-2's flavor size is unknown: no utilisation can be computed
    assert list(samples['resource_id']) == ['vm-1']
    assert _value(samples, m.MEMORY_UTILIZATION) == pytest.approx(25.0)


def test_ceilometer_rates_and_gauges():
    samples = normalise.normalise_ceilometer(_ceilometer([
        ('vm-1', 'disk.device.read.bytes.rate', 0.0, 1000.0, 2, 4096),
        ('vm-1', 'network.outgoing.bytes.rate', 0.0, 2000.0, 2, 4096),
        ('vm-1', 'volume.size', 0.0, 100.0, 2, 4096),
        ('vm-1', 'hardware.ipmi.node.power', 0.0, 400.0, 2, 4096),
        ('vm-1', 'image.size', 0.0, 1.0, 2, 4096),
    ]), normalise.CumulativeRates())
    assert dict(zip(samples['metric'], samples['value'], strict=True)) == {
        m.DISK_READ_BYTES_PER_S: 1000.0, m.NETWORK_TX_BYTES_PER_S: 2000.0,
        m.STORAGE_GB: 100.0, m.POWER_WATTS: 400.0}


@pytest.mark.parametrize('reading, expected', [
    ('130 (+/- 0) Watts', (130.0, 'watts')),
    ('26 (+/- 0.500) degrees C', (26.0, 'c')),
    ('Disabled', (None, None)),
    ('', (None, None)),
    (None, (None, None)),
    (42, (42.0, '')),
])
def test_parse_ipmi_reading(reading, expected):
    assert normalise.parse_ipmi_reading(reading) == expected


def test_ipmi_metric_only_for_power():
    assert normalise.ipmi_metric('Watts') == m.POWER_WATTS
    assert normalise.ipmi_metric('c') is None


def test_ceilometer_devices_of_one_instance_are_summed():
    rates = normalise.CumulativeRates()
    frame = pd.DataFrame({
        'resource_id': ['vm-1'] * 4,
        'device': ['vm-1-vda', 'vm-1-vdb', 'vm-1-vda', 'vm-1-vdb'],
        'source': ['disk.device.read.bytes'] * 4,
        'timestamp': [0.0, 0.0, 10.0, 10.0],
        'value': [0.0, 1000.0, 5000.0, 3000.0],
        'vcpus': [2] * 4, 'memory_mb': [4096] * 4})
    samples = normalise.normalise_ceilometer(frame, rates)
    # vda reads 500 B/s and vdb 200 B/s
    assert _value(samples, m.DISK_READ_BYTES_PER_S) == pytest.approx(700.0)


def _mapped(rows):
    return pd.DataFrame(rows, columns=['resource_id', 'device', 'metric',
                                       'timestamp', 'value', 'role',
                                       'priority', 'message_id'])


def test_rows_one_per_resource_metric_and_time_come_out_as_they_are():
    rows = [('vm-2', 'vm-2', m.POWER_WATTS, 0.0, 5.0, 'value', 0, 'a'),
            ('vm-1', 'vda', m.POWER_WATTS, 0.0, 7.0, 'value', 1, 'a'),
            ('vm-1', 'vm-1', m.POWER_WATTS, 0.0, 9.0, 'value', 0, 'b'),
            ('vm-1', 'vm-1', m.CPU_UTILIZATION, 0.0, 1.0, 'value', 0, 'a')]
    samples = normalise.combine_devices(_mapped(rows), ['message_id'])
    assert samples.to_dict('list') == {
        'resource_id': ['vm-2', 'vm-1', 'vm-1', 'vm-1'],
        'metric': [m.POWER_WATTS] * 3 + [m.CPU_UTILIZATION],
        'timestamp': [0.0] * 4, 'value': [5.0, 7.0, 9.0, 1.0],
        'message_id': ['a', 'a', 'b', 'a']}


def test_rows_sharing_resource_metric_and_time_are_still_combined():
    rows = [('vm-1', 'vm-1', m.POWER_WATTS, 0.0, 5.0, 'value', 0, 'a'),
            # a lower priority source of the same device is dropped
            ('vm-1', 'vm-1', m.POWER_WATTS, 0.0, 99.0, 'value', 1, 'a'),
            # another device's watts are added
            ('vm-1', 'gpu0', m.POWER_WATTS, 0.0, 7.0, 'value', 0, 'a')]
    samples = normalise.combine_devices(_mapped(rows), ['message_id'])
    assert samples.to_dict('list') == {
        'resource_id': ['vm-1'], 'metric': [m.POWER_WATTS],
        'timestamp': [0.0], 'value': [12.0], 'message_id': ['a']}
