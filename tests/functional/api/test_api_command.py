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
"""kcloud-analyzer-api as an operator runs it, with one and two worker
processes on one port."""

import signal
import socket
import subprocess
import sys
import time

from prometheus_client import parser
import pytest
import requests

from kcloud_analyzer.db import migration
from tests import fixtures as test_fixtures
from tests.functional.api import fixtures


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _requests_counted(url):
    text = requests.get(url + '/metrics', timeout=10).text
    return sum(
        sample.value
        for family in parser.text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == 'kcloud_analyzer_api_requests_total' and
        sample.labels['route'] == '/api/v1/workloads')


@pytest.mark.parametrize('workers', [1, 2])
def test_serves_and_stops(tmp_path, workers):
    store = 'sqlite:///%s' % (tmp_path / 'store.sqlite')
    test_fixtures.use_store(fixtures.make_conf(store))
    migration.upgrade()
    port = _free_port()
    config = tmp_path / 'kcloud-analyzer.conf'
    config.write_text(
        '[api]\nport = %d\nauth_strategy = noauth\nworkers = %d\n'
        '[database]\nconnection = %s\n' % (port, workers, store))
    process = subprocess.Popen(
        [sys.executable, '-m', 'kcloud_analyzer.cmd.api', '--config-file',
         str(config)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True)
    try:
        url = 'http://127.0.0.1:%d' % port
        banner = process.stdout.readline()
        assert 'listening on %s/' % url in banner
        assert '%d worker' % workers in banner
        assert '%s/docs' % url in process.stdout.readline()
        deadline = time.monotonic() + 60
        answered = set()
        while time.monotonic() < deadline:
            try:
                response = requests.get(url + '/health', timeout=10)
                assert response.json()['status'] == 'ok'
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        # Every request is answered whichever worker takes it.
        for _ in range(20):
            response = requests.get(url + '/api/v1/workloads', timeout=10)
            assert response.status_code == 200
            answered.add(response.headers['x-openstack-request-id'])
        assert len(answered) == 20
        # Every scrape counts the requests of all the workers.
        for _ in range(4):
            assert _requests_counted(url) == 20
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert process.returncode == 0
    with pytest.raises(requests.ConnectionError):
        requests.get('http://127.0.0.1:%d/health' % port, timeout=5)
