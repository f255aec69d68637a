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
"""The ipmi collector against pyghmi's own BMC server on loopback UDP
ports, cross-checked with ipmitool, stored through the real PostgreSQL."""

import contextlib
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest

from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import metrics as m
from kcloud_analyzer.metrics_collector.collectors import ipmi
from kcloud_analyzer.metrics_collector import ingest
from tests.functional.collector import services

USER, PASSWORD = 'kca', 'bmc-secret'


def _udp_port():
    with contextlib.closing(socket.socket(socket.AF_INET,
                                          socket.SOCK_DGRAM)) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _bmc(*extra):
    port = _udp_port()
    proc = subprocess.Popen(
        [sys.executable, '-m', 'tests.functional.collector.bmc_server',
         '--port', str(port), '--user', USER, '--password', PASSWORD] +
        list(extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == 'ready', line
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope='module')
def bmcs(tmp_path_factory):
    with _bmc('--watts', '432') as dcmi_port, \
            _bmc('--no-dcmi', '--sensor', 'PSU1 Input=240',
                 '--sensor', 'PSU2 Input=200') as supplies_port, \
            _bmc('--no-dcmi', '--sensor', 'PSU1 Input=240',
                 '--sensor', 'Pwr Consumption=500') as total_port:
        path = tmp_path_factory.mktemp('bmcs') / 'bmcs.yaml'
        path.write_text(
            '- {name: node-dcmi, address: 127.0.0.1, port: %d, username: %s,'
            ' password: %s, instances: [vm-a, vm-b]}\n'
            '- {name: node-psu, address: 127.0.0.1, port: %d, username: %s,'
            ' password: %s, instances: [vm-c]}\n'
            '- {name: node-total, address: 127.0.0.1, port: %d, username: '
            '%s, password: %s}\n' % (dcmi_port, USER, PASSWORD,
                                     supplies_port, USER, PASSWORD,
                                     total_port, USER, PASSWORD))
        yield path, {'node-dcmi': dcmi_port, 'node-psu': supplies_port,
                     'node-total': total_port}


def test_ipmitool_agrees_on_the_dcmi_reading(bmcs):
    assert shutil.which('ipmitool'), \
        'ipmitool is not installed (tools/ci/setup-ipmitool.sh)'
    _, ports = bmcs
    output = subprocess.run(
        ['ipmitool', '-I', 'lanplus', '-C', '3', '-H', '127.0.0.1', '-p',
         str(ports['node-dcmi']), '-U', USER, '-P', PASSWORD, 'dcmi',
         'power', 'reading'], capture_output=True, text=True, timeout=30,
        check=True).stdout
    watts = re.search(r'Instantaneous power reading:\s+(\d+) Watts', output)
    assert watts and int(watts.group(1)) == 432


def test_ipmi_collector_reads_power_and_stores_it(bmcs, db):
    path, _ = bmcs
    conf = services.make_conf({('ipmi_collector', 'bmcs_file'): str(path)})
    collector = ipmi.IPMICollector(conf)
    assert collector.targets() == ['node-dcmi', 'node-psu', 'node-total']
    now = time.time()
    samples = collector.poll(collector.targets(), now)
    got = {r.resource_id: r.value for r in samples.itertuples()}
    # DCMI: 432 W split over two instances; without DCMI the supplies are
    # summed, unless a sensor reports the total
    assert got == {'vm-a': 216.0, 'vm-b': 216.0, 'vm-c': 440.0,
                   'node-total': 500.0}
    assert set(samples['metric']) == {m.POWER_WATTS}
    # one poll id per BMC
    assert samples['message_id'].nunique() == 3

    context = kcontext.get_admin_context()
    ingestor = ingest.Ingestor(context, 300, db=db)
    stored = ingestor.store(samples, list(samples['message_id'].unique()))
    assert stored == 4
    # the same poll slot again (another agent taking over) is not counted
    assert ingestor.store(samples, list(samples['message_id'].unique())) == 0
    [row] = db.rollup_list(context, workload_id='vm-c')
    assert (row['metric'], row['count'], row['mean']) == (
        m.POWER_WATTS, 1, 440.0)
