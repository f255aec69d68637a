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
"""The canonical metrics every collector normalises to.

Utilisations are percent of what the workload was allocated, averaged over
its devices.
"""

import types

CPU_UTILIZATION = 'cpu_utilization'
MEMORY_UTILIZATION = 'memory_utilization'
GPU_UTILIZATION = 'gpu_utilization'
GPU_MEMORY_UTILIZATION = 'gpu_memory_utilization'
NPU_UTILIZATION = 'npu_utilization'
NPU_MEMORY_UTILIZATION = 'npu_memory_utilization'
POWER_WATTS = 'power_watts'
ACCELERATOR_POWER_WATTS = 'accelerator_power_watts'
NETWORK_RX_BYTES_PER_S = 'network_rx_bytes_per_s'
NETWORK_TX_BYTES_PER_S = 'network_tx_bytes_per_s'
DISK_READ_BYTES_PER_S = 'disk_read_bytes_per_s'
DISK_WRITE_BYTES_PER_S = 'disk_write_bytes_per_s'
STORAGE_GB = 'storage_gb'

#: metric name -> unit
UNITS = types.MappingProxyType({
    CPU_UTILIZATION: '%',
    MEMORY_UTILIZATION: '%',
    GPU_UTILIZATION: '%',
    GPU_MEMORY_UTILIZATION: '%',
    NPU_UTILIZATION: '%',
    NPU_MEMORY_UTILIZATION: '%',
    POWER_WATTS: 'W',
    ACCELERATOR_POWER_WATTS: 'W',
    NETWORK_RX_BYTES_PER_S: 'B/s',
    NETWORK_TX_BYTES_PER_S: 'B/s',
    DISK_READ_BYTES_PER_S: 'B/s',
    DISK_WRITE_BYTES_PER_S: 'B/s',
    STORAGE_GB: 'GB',
})

CANONICAL_METRICS = tuple(UNITS)

#: unit -> the largest value one workload can plausibly report; larger
#: input is refused rather than priced (a megawatt, a terabyte a second,
#: an exabyte)
PLAUSIBLE_MAXIMUM = types.MappingProxyType({
    '%': 100.0,
    'W': 1e6,
    'B/s': 1e12,
    'GB': 1e9,
})

UTILIZATION_METRICS = tuple(m for m, u in UNITS.items() if u == '%')

#: the keys of the seed's ``usage_pattern`` object
USAGE_PATTERN_KEYS = (CPU_UTILIZATION, MEMORY_UTILIZATION, GPU_UTILIZATION)

WORKLOAD_TYPES = ('training', 'inference', 'serving')
