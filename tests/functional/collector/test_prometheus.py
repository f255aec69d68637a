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
"""Debian's Prometheus scraping a small exporter that serves DCGM (old and
DCGM 4.6 names) and NPU exporter metrics; the prometheus collector reads
them back as canonical metrics."""

import http.server
import shutil
import threading
import time

import pytest
import requests

from kcloud_analyzer.common import metrics as m
from kcloud_analyzer.metrics_collector.collectors import prometheus
from tests.functional.collector import services

GIB = 2 ** 30
WATTS_FROM_ENERGY = 250.0

EXPORTED = '''\
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",instance_uuid="vm-old"} 80
DCGM_FI_DEV_GPU_UTIL{gpu="1",instance_uuid="vm-old"} 40
DCGM_FI_DEV_GPU_UTIL{gpu="0",instance_uuid="vm-energy"} 50
DCGM_FI_DEV_POWER_USAGE{gpu="0",instance_uuid="vm-old"} 300
DCGM_FI_DEV_POWER_USAGE{gpu="1",instance_uuid="vm-old"} 150
DCGM_FI_DEV_FB_USED{gpu="0",instance_uuid="vm-old"} 30000
DCGM_FI_DEV_FB_FREE{gpu="0",instance_uuid="vm-old"} 10000
DCGM_FI_DEV_FB_USED{gpu="1",instance_uuid="vm-old"} 10000
DCGM_FI_DEV_FB_FREE{gpu="1",instance_uuid="vm-old"} 30000
DCGM_FI_DEV_GPU_UTIL_RATIO{gpu="0",instance_uuid="vm-new"} 0.9
DCGM_FI_DEV_BOARD_POWER_WATTS{gpu="0",instance_uuid="vm-new"} 350
DCGM_FI_DEV_GPU_TEMP{gpu="0",instance_uuid="vm-new"} 61
npu_chip_info_utilization{id="0",instance_uuid="vm-ascend"} 70
npu_chip_info_hbm_used_memory{id="0",instance_uuid="vm-ascend"} 16384
npu_chip_info_hbm_total_memory{id="0",instance_uuid="vm-ascend"} 65536
npu_chip_info_power{id="0",instance_uuid="vm-ascend"} 310
furiosa_npu_core_utilization{device="npu0",core="0",\
instance_uuid="vm-furiosa"} 50
furiosa_npu_core_utilization{device="npu0",core="1",\
instance_uuid="vm-furiosa"} 60
furiosa_npu_hw_power{device="npu0",label="rms",instance_uuid="vm-furiosa"} 120
furiosa_npu_hw_power{device="npu0",label="peak",instance_uuid="vm-furiosa"} 200
rbln_npu_utilization{uuid="r0",instance_uuid="vm-rbln"} 35
rbln_npu_memory_used{uuid="r0",instance_uuid="vm-rbln"} %(rbln_used)d
rbln_npu_memory_total{uuid="r0",instance_uuid="vm-rbln"} %(rbln_total)d
rbln_npu_power{uuid="r0",instance_uuid="vm-rbln"} 60
DCGM_FI_DEV_GPU_UTIL{gpu="0"} 99
# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter
DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="0",\
instance_uuid="vm-energy"} %(energy_mj)d
'''

EXPECTED = {
    'vm-old': {m.GPU_UTILIZATION: 60.0, m.ACCELERATOR_POWER_WATTS: 450.0,
               m.GPU_MEMORY_UTILIZATION: 50.0},
    'vm-new': {m.GPU_UTILIZATION: 90.0, m.ACCELERATOR_POWER_WATTS: 350.0},
    'vm-energy': {m.GPU_UTILIZATION: 50.0,
                  m.ACCELERATOR_POWER_WATTS: WATTS_FROM_ENERGY},
    'vm-ascend': {m.NPU_UTILIZATION: 70.0, m.NPU_MEMORY_UTILIZATION: 25.0,
                  m.ACCELERATOR_POWER_WATTS: 310.0},
    'vm-furiosa': {m.NPU_UTILIZATION: 55.0,
                   m.ACCELERATOR_POWER_WATTS: 120.0},
    'vm-rbln': {m.NPU_UTILIZATION: 35.0, m.NPU_MEMORY_UTILIZATION: 75.0,
                m.ACCELERATOR_POWER_WATTS: 60.0},
}


class _Exporter(http.server.BaseHTTPRequestHandler):
    started = time.time()

    def do_GET(self):
        energy_mj = 1e9 + (time.time() - self.started) * \
            WATTS_FROM_ENERGY * 1000.0
        body = (EXPORTED % {'energy_mj': energy_mj,
                            'rbln_used': 12 * GIB,
                            'rbln_total': 16 * GIB}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain; version=0.0.4')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope='module')
def prometheus_url(tmp_path_factory):
    binary = shutil.which('prometheus')
    assert binary, 'prometheus is not installed (tools/ci/setup-prometheus.sh)'
    exporter = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Exporter)
    threading.Thread(target=exporter.serve_forever, daemon=True).start()
    folder = tmp_path_factory.mktemp('prometheus')
    config = folder / 'prometheus.yml'
    config.write_text(
        'global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n'
        'scrape_configs:\n  - job_name: exporter\n    static_configs:\n'
        '      - targets: ["127.0.0.1:%d"]\n' % exporter.server_address[1])
    port = services.free_port()
    url = 'http://127.0.0.1:%d' % port

    def ready():
        try:
            return requests.get(url + '/-/ready', timeout=1).ok
        except requests.ConnectionError:
            return False

    with services.process([binary, '--config.file=%s' % config,
                           '--storage.tsdb.path=%s' % (folder / 'data'),
                           '--web.listen-address=127.0.0.1:%d' % port],
                          ready=ready, timeout=30):
        yield url
    exporter.shutdown()


def test_prometheus_collector_reads_canonical_metrics(prometheus_url):
    conf = services.make_conf({
        ('prometheus_collector', 'url'): prometheus_url,
        ('prometheus_collector', 'rate_window'): '4s',
    })
    collector = prometheus.PrometheusCollector(conf)
    # enough scrapes for the energy counter's rate
    services.wait_for(lambda: len(collector.targets()) == len(EXPECTED),
                      20, what='the exporter to be scraped')
    time.sleep(6)
    assert collector.targets() == sorted(EXPECTED)

    now = time.time()
    samples = collector.poll(collector.targets(), now)
    got = {(r.resource_id, r.metric): r.value for r in samples.itertuples()}
    want = {(i, metric): value for i, values in EXPECTED.items()
            for metric, value in values.items()}
    assert set(got) == set(want)
    for key, value in want.items():
        if key == ('vm-energy', m.ACCELERATOR_POWER_WATTS):
            assert got[key] == pytest.approx(value, rel=0.03), key
        else:
            assert got[key] == pytest.approx(value), key
    assert (samples['timestamp'] - now).abs().max() < 0.01
    # one poll id per instance, stable within the interval
    assert samples.groupby('resource_id')['message_id'].nunique().eq(1).all()
    again = collector.poll(['vm-rbln'], now + 0.5)
    assert set(again['message_id']) == set(
        samples.loc[samples['resource_id'] == 'vm-rbln', 'message_id'])
    collector.close()
