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
"""A pollable fleet: dcgm-exporter text (its default counters, as it
renders them) for N instances of one GPU each, scraped every second by
Debian's Prometheus on a free port, for the prometheus collector to poll.

Every instance draws a constant power, so what the store holds per
(instance, metric, window) is exactly one sample per polled slot.
"""

import collections
import contextlib
import http.server

import requests

from kcloud_analyzer.db import api as db_api
from tests.functional.collector import producers
from tests.functional.collector import services

COUNTERS = producers.dcgm_counters()
#: the collector's canonical metrics of one DCGM GPU
METRICS = ('accelerator_power_watts', 'gpu_memory_utilization',
           'gpu_utilization')


def _gpu(index):
    return {'gpu': '0', 'uuid': 'GPU-604ac76c-d9cf-fef3-62e9-%012d' % index,
            'pci_bus_id': '00000000:07:00.0', 'device': 'nvidia0',
            'model': 'NVIDIA A100-SXM4-80GB'}


def _value(index):
    values = {'DCGM_FI_DEV_GPU_UTIL': 50 + index % 40,
              'DCGM_FI_DEV_POWER_USAGE': 200.0 + index,
              'DCGM_FI_DEV_FB_USED': 20000, 'DCGM_FI_DEV_FB_FREE': 60000,
              'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION': 10 ** 9}

    def value(name, gpu):
        if gpu is None:
            return '580.65.06'
        return values.get(name, 0)
    return value


def _handler(instances):
    pages = {name: producers.dcgm_exposition(COUNTERS, [_gpu(i)], _value(i),
                                             hostname=name).encode()
             for i, name in enumerate(instances)}

    class Exporter(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path.strip('/'))
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header('Content-Type', 'text/plain; version=0.0.4')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    return Exporter


@contextlib.contextmanager
def prometheus_fleet(folder, instances):
    """Yield the URL of a Prometheus that scrapes ``instances`` (labelled
    ``instance_uuid``) every second."""
    with services.scraping_prometheus(folder, _handler(instances),
                                      instances) as url:
        def scraped():
            body = requests.get(url + '/api/v1/query', params={
                'query': 'count(DCGM_FI_DEV_POWER_USAGE)'},
                timeout=5).json()
            result = body['data']['result']
            return result and int(result[0]['value'][1]) == len(
                instances)
        services.wait_for(scraped, 60, interval=0.5,
                          what='every exporter scraped')
        yield url


def stored_counts(context, instances):
    """The samples stored per (instance, metric, window), checking that
    every metric of the fleet was stored."""
    counts = collections.Counter()
    for instance in instances:
        for row in db_api.rollup_list(context, workload_id=instance):
            counts[(instance, row['metric'], row['window_start'])] += \
                row['count']
    assert set(METRICS) <= {metric for _, metric, _ in counts}
    return counts
