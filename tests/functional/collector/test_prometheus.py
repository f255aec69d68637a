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
"""Debian's Prometheus scraping the accelerator exporters' own output
(producers/exporters/SOURCE.md: dcgm-exporter's default counters with the
names as shipped and as DCGM 4.6 renamed them, the Ascend npu-exporter's
and FuriosaAI exporter's own expected text, Rebellions' metric names), one
scrape job per instance as an OpenStack service discovery would label
them; the prometheus collector reads them back as canonical metrics."""

import http.server
import time

import pytest

from kcloud_analyzer.common import metrics as m
from kcloud_analyzer.metrics_collector.collectors import prometheus
from tests.functional.collector import producers
from tests.functional.collector import services

WATTS_FROM_ENERGY = 250.0
STARTED = time.time()


def _gpus(count):
    return [{'gpu': str(i), 'uuid': 'GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e5%d'
             % i, 'pci_bus_id': '00000000:%02X:00.0' % (7 + i),
             'device': 'nvidia%d' % i, 'model': 'NVIDIA A100-SXM4-80GB'}
            for i in range(count)]


def _dcgm(values, counters, gpus):
    def value(name, gpu):
        if gpu is None:
            return '580.65.06'
        if name == 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION':
            # mJ since boot, read by the collector as rate()
            return int(1e9 + (time.time() - STARTED) * WATTS_FROM_ENERGY *
                       1000.0)
        per_gpu = values.get(name, 0)
        return per_gpu[int(gpu['gpu'])] if isinstance(per_gpu,
                                                      list) else per_gpu
    return lambda: producers.dcgm_exposition(counters, gpus, value)


DCGM_OLD = producers.dcgm_counters()
DCGM_46 = producers.dcgm_counters(current_names=True)

_ascend_text = producers.text('exporters', 'ascend-npu-exporter.prom')
_furiosa_text = producers.text('exporters', 'furiosa-metrics-exporter.prom')


def _ascend():
    chip = {'npu_chip_info_utilization': lambda i: 10 * i,
            'npu_chip_info_hbm_used_memory': lambda i: 1024 * (i + 1),
            'npu_chip_info_hbm_total_memory': lambda i: 65536,
            'npu_chip_info_power': lambda i: 100 + i}
    return producers.revalue(
        _ascend_text,
        lambda name, labels: chip[name](int(labels['id']))
        if name in chip else None,
        # the exporter stamps each sample with its own collection time
        timestamp_ms=int(time.time() * 1000))


def _furiosa():
    def value(name, labels):
        if name == 'furiosa_npu_core_utilization':
            return 20 + 10 * int(labels['core'])
        return 95.5
    return producers.revalue(_furiosa_text, value)


RBLN_LABELS = ('card="RBLN-CA22",deviceID="1220",driver_version="1.3.73",'
               'firmware_version="1.3.73",hostname="npu-host-1",'
               'name="rbln0",smc_version="15.10.13.14",'
               'uuid="a1b2c3d4-0000-4000-8000-000000000001"')


def _rebellions():
    values = {'TEMPERATURE': 41, 'CARD_POWER': 60.5, 'DRAM_USED': 12.0,
              'DRAM_TOTAL': 16.0, 'UTILIZATION': 35.0, 'HEALTH': 0}
    return ''.join('# TYPE RBLN_DEVICE_STATUS:%s gauge\n'
                   'RBLN_DEVICE_STATUS:%s{%s} %s\n' % (
                       name, name, RBLN_LABELS, value)
                   for name, value in values.items())


#: instance -> what its exporter serves
EXPORTERS = {
    'vm-dcgm': _dcgm({'DCGM_FI_DEV_GPU_UTIL': [80, 40],
                      'DCGM_FI_DEV_POWER_USAGE': [300.5, 150.25],
                      'DCGM_FI_DEV_FB_USED': [30000, 10000],
                      'DCGM_FI_DEV_FB_FREE': [10000, 30000],
                      'DCGM_FI_DEV_FB_RESERVED': [512, 512]},
                     DCGM_OLD, _gpus(2)),
    'vm-dcgm46': _dcgm({'DCGM_FI_DEV_GPU_UTIL_RATIO': [87],
                        'DCGM_FI_DEV_BOARD_POWER_WATTS': [350.0],
                        'DCGM_FI_DEV_FB_USED': [20000],
                        'DCGM_FI_DEV_FB_FREE': [60000]},
                       DCGM_46, _gpus(1)),
    # a counters file without the power gauge: power from the energy total
    'vm-energy': _dcgm({'DCGM_FI_DEV_GPU_UTIL': [50],
                        'DCGM_FI_DEV_FB_USED': [40000],
                        'DCGM_FI_DEV_FB_FREE': [40000]},
                       [c for c in DCGM_OLD
                        if c[0] != 'DCGM_FI_DEV_POWER_USAGE'], _gpus(1)),
    'vm-ascend': _ascend,
    'vm-furiosa': _furiosa,
    'vm-rbln': _rebellions,
}

EXPECTED = {
    'vm-dcgm': {m.GPU_UTILIZATION: 60.0, m.ACCELERATOR_POWER_WATTS: 450.75,
                m.GPU_MEMORY_UTILIZATION: 50.0},
    # 87, not 8700: the renamed field keeps its integer percent
    'vm-dcgm46': {m.GPU_UTILIZATION: 87.0, m.ACCELERATOR_POWER_WATTS: 350.0,
                  m.GPU_MEMORY_UTILIZATION: 25.0},
    'vm-energy': {m.GPU_UTILIZATION: 50.0,
                  m.ACCELERATOR_POWER_WATTS: WATTS_FROM_ENERGY,
                  m.GPU_MEMORY_UTILIZATION: 50.0},
    # 8 chips: utilisation 0..70, HBM (i+1) GiB of 64, 100+i W
    'vm-ascend': {m.NPU_UTILIZATION: 35.0,
                  m.NPU_MEMORY_UTILIZATION: 100.0 * 36 / 8 / 64,
                  m.ACCELERATOR_POWER_WATTS: 828.0},
    # 8 cores of one device: 20..90
    'vm-furiosa': {m.NPU_UTILIZATION: 55.0,
                   m.ACCELERATOR_POWER_WATTS: 95.5},
    'vm-rbln': {m.NPU_UTILIZATION: 35.0, m.NPU_MEMORY_UTILIZATION: 75.0,
                m.ACCELERATOR_POWER_WATTS: 60.5},
}


class _Exporter(http.server.BaseHTTPRequestHandler):

    def do_GET(self):
        name = self.path.strip('/').split('/')[0]
        # an exporter on a host no instance label points at
        render = EXPORTERS.get(name, EXPORTERS['vm-dcgm'])
        body = render().encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain; version=0.0.4')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope='module')
def prometheus_url(tmp_path_factory):
    with services.scraping_prometheus(
            tmp_path_factory.mktemp('prometheus'), _Exporter, EXPORTERS,
            extra_jobs='  - job_name: unlabelled\n    metrics_path: /host\n'
            '    static_configs:\n      - targets: ["%(target)s"]\n',
            timeout=30) as url:
        yield url


def test_prometheus_collector_reads_canonical_metrics(prometheus_url):
    # the shipped counters file renamed as DCGM 4.6 names the fields
    assert ('DCGM_FI_DEV_GPU_UTIL_RATIO', 'gauge',
            'GPU utilization (in %).') in DCGM_46
    assert ('DCGM_FI_DEV_BOARD_POWER_WATTS', 'gauge',
            'Power draw (in W).') in DCGM_46
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
    interval = conf.collection_interval
    if (now + 0.5) // interval != now // interval:
        # the second poll below must fall in the same interval slot
        now -= 0.5
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
