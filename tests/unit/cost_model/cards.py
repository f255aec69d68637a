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
"""Small, explicit rate cards and frames for the cost model tests.

Prices are round numbers so that every expected figure in the tests can be
worked out by hand.
"""

import copy

import pandas as pd

from kcloud_analyzer.cost_model import ratecard

BASE = {
    'version': 3,
    'currency': 'EUR',
    'compute': {'vcpu_hour': '0.05', 'ram_gb_hour': '0.01',
                'committed_vcpu_hour': '0.03',
                'committed_ram_gb_hour': '0.006'},
    'accelerators': {
        'A100': {'kind': 'gpu', 'hour': '2.00', 'committed_hour': '1.40',
                 'performance': 1.0, 'power_watts': 400,
                 'partitions': [{'name': 'A100 3g.40gb', 'fraction': 0.5,
                                 'hour': '0.90'}]},
        'H100': {'kind': 'gpu', 'hour': '4.00', 'performance': 2.0},
        'L40S': {'kind': 'gpu', 'hour': '1.00', 'performance': 0.6},
        'NPU-X': {'kind': 'npu', 'hour': '0.50', 'performance': 0.4,
                  'training': False},
    },
    'storage': {'gb_month': '0.73'},
    'network': {'egress_gb': '0.10'},
    'electricity': {
        'timezone': 'UTC',
        'default_kwh': '0.10',
        'pue': 1.5,
        'carbon_kg_per_kwh': 0.5,
        'periods': [
            {'name': 'peak', 'start': '07:30', 'end': '20:00',
             'days': ['mon', 'tue', 'wed', 'thu', 'fri'], 'kwh': '0.30'},
            {'name': 'night', 'start': '23:00', 'end': '06:00',
             'kwh': '0.05'},
        ],
    },
    'overrides': [],
    'flavors': [
        {'name': 'm1.small', 'vcpus': 2, 'ram_mb': 4096},
        {'name': 'm1.medium', 'vcpus': 4, 'ram_mb': 16384},
        # listed with its own price, below its vCPUs and RAM at unit prices
        {'name': 'c1.medium', 'vcpus': 4, 'ram_mb': 20480, 'hour': '0.30'},
        {'name': 'm1.xlarge', 'vcpus': 16, 'ram_mb': 65536},
        {'name': 'g1.a100', 'vcpus': 4, 'ram_mb': 16384,
         'accelerator': 'A100', 'accelerator_count': 1},
        {'name': 'g1.a100.small', 'vcpus': 2, 'ram_mb': 8192,
         'accelerator': 'a100', 'accelerator_count': 1},
        {'name': 'g1.a100.highmem', 'vcpus': 2, 'ram_mb': 65536,
         'accelerator': 'A100', 'accelerator_count': 1},
    ],
}

# 2026-03-02 is a Monday.
MONDAY = pd.Timestamp('2026-03-02T00:00:00Z')


def document(**changes):
    doc = copy.deepcopy(BASE)
    doc.update(changes)
    return doc


def card(**changes):
    return ratecard.parse_rate_card(document(**changes))


def workloads(*rows):
    columns = ('workload_id', 'type', 'cpu_cores', 'memory_gb', 'gpu_count',
               'npu_count', 'accelerator', 'project_id')
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    frame = pd.DataFrame(records, columns=columns)
    return frame.astype({'cpu_cores': float, 'memory_gb': float,
                         'gpu_count': 'int64', 'npu_count': 'int64'})


def usage(rows):
    """rows: (workload_id, timestamp text or Timestamp, metric, value)."""
    frame = pd.DataFrame(rows, columns=['workload_id', 'timestamp',
                                        'metric', 'value'])
    frame['timestamp'] = pd.to_datetime(frame['timestamp'], utc=True)
    frame['value'] = frame['value'].astype(float)
    return frame
