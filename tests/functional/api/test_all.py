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
"""kcloud-analyzer-all as a new user starts it: one command in an empty
folder, then a browser on the address it prints."""

import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import time

import requests

STARTUP_S = 90


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_embedded_default(tmp_path):
    port = _free_port()
    # The only change from the defaults: a free port, so that the test
    # does not collide with anything on 8080.
    extra = tmp_path / 'port.conf'
    extra.write_text('[api]\nport = %d\n' % port)
    log = tmp_path / 'all.log'
    env = dict(os.environ)
    env.pop('KCLOUD_ANALYZER_STATE', None)
    with open(log, 'w') as output:
        process = subprocess.Popen(
            [sys.executable, '-m', 'kcloud_analyzer.cmd.all',
             '--config-file', str(extra)],
            cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        base = 'http://127.0.0.1:%d' % port
        deadline = time.monotonic() + STARTUP_S
        workloads = []
        while time.monotonic() < deadline and not workloads:
            assert process.poll() is None, log.read_text()
            try:
                workloads = requests.get(base + '/api/v1/workloads',
                                         timeout=30).json()['workloads']
            except requests.ConnectionError:
                pass
            time.sleep(1)
        assert workloads, log.read_text()

        printed = log.read_text()
        assert re.search(r'Documentation: +%s/docs' % re.escape(base),
                         printed)
        assert 'auth_strategy = noauth' in printed

        state = pathlib.Path(tmp_path / 'state')
        assert (state / 'kcloud_analyzer.sqlite').exists()
        assert 'auth_strategy = noauth' in (
            state / 'kcloud-analyzer.conf').read_text()

        docs = requests.get(base + '/docs', timeout=30)
        assert 'swagger-ui-bundle.js' in docs.text
        assert requests.get(base + '/docs/swagger-ui-bundle.js',
                            timeout=30).ok
        # The replayed trace's workloads, with their resources.
        assert all(w['resources'] for w in workloads)
        assert requests.get(base + '/api/v1/metrics?limit=5',
                            timeout=30).json()['metrics']
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, log.read_text()
