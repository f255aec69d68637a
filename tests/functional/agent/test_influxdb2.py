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
"""Rollups exported by the agent through influxdb-client to InfluxDB 2.x.

No InfluxDB 2 server can be installed here (Debian ships 1.6), so the
server is a loopback HTTP server that checks every request the way
InfluxDB 2's API reference documents ``POST /api/v2/write``: the path,
``Authorization: Token <token>``, the ``org``, ``bucket`` and
``precision`` query parameters, a line-protocol body; it answers 204 when
all is right and 401 / 404 / 400 with InfluxDB's JSON error body
otherwise, and keeps the points it accepted.
"""

import datetime
import gzip
import http.server
import json
import threading
import urllib.parse
import uuid

from influxdb_client.rest import ApiException
import pandas as pd
import pytest

from kcloud_analyzer.agent import influxdb
from kcloud_analyzer.agent import service as agent_service
from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.metrics_collector import ingest
from tests.functional.collector import services

TOKEN = 'kca-test-token-%s' % uuid.uuid4().hex
ORG = 'kcloud-org'
BUCKET = 'kcloud-rollups'
PRECISIONS = ('ns', 'us', 'ms', 's')


class _InfluxDB2(http.server.BaseHTTPRequestHandler):
    points = []
    refusals = []
    lock = threading.Lock()

    def _answer(self, status, code=None, message=None):
        body = b'' if code is None else json.dumps(
            {'code': code, 'message': message}).encode()
        self.send_response(status)
        if body:
            self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if code is not None:
            with self.lock:
                self.refusals.append((status, code, message))

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        if self.headers.get('Content-Encoding') == 'gzip':
            body = gzip.decompress(body)
        if url.path != '/api/v2/write':
            return self._answer(404, 'not found', 'path not found')
        if self.headers.get('Authorization') != 'Token ' + TOKEN:
            return self._answer(401, 'unauthorized',
                                'unauthorized access')
        if query.get('org') != [ORG]:
            return self._answer(404, 'not found',
                                'organization name "%s" not found'
                                % query.get('org'))
        if query.get('bucket') != [BUCKET]:
            return self._answer(404, 'not found',
                                'bucket "%s" not found' % query.get('bucket'))
        if query.get('precision', ['ns']) != ['s']:
            # the analyzer writes whole seconds; anything else would put
            # the points at the wrong time
            return self._answer(400, 'invalid', 'precision %s' %
                                query.get('precision'))
        if not self.headers.get('Content-Type', '').startswith(
                'text/plain'):
            return self._answer(400, 'invalid', 'content type %s' %
                                self.headers.get('Content-Type'))
        lines = [line for line in body.decode('utf-8').split('\n') if line]
        for line in lines:
            if not _valid_line(line):
                return self._answer(400, 'invalid',
                                    'unable to parse %r' % line)
        with self.lock:
            self.points.extend(lines)
        self._answer(204)

    def log_message(self, *args):
        pass


def _valid_line(line):
    """measurement,tag=v,... field=v,... timestamp (seconds)."""
    try:
        head, fields, timestamp = line.rsplit(' ', 2)
        int(timestamp)
    except ValueError:
        return False
    if ',' not in head or not fields:
        return False
    return all('=' in field for field in fields.split(','))


@pytest.fixture
def influxdb2():
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _InfluxDB2)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _InfluxDB2.points.clear()
    _InfluxDB2.refusals.clear()
    yield 'http://127.0.0.1:%d' % server.server_address[1]
    server.shutdown()
    server.server_close()


def _row(workload, window, mean):
    return {'workload_id': workload, 'metric': 'power_watts',
            'window_start': window, 'mean': mean, 'min': mean - 1,
            'max': mean + 1, 'count': 3}


def test_v2_write_is_what_the_api_documents(influxdb2):
    window = datetime.datetime(2026, 4, 1, 10, 0)
    rows = [_row('wl a,1', window, 150.0), _row('wl-b', window, 75.5)]
    writer = influxdb.InfluxDB2Writer(influxdb2, ORG, BUCKET, TOKEN)
    try:
        writer.write(rows)
    finally:
        writer.close()
    assert _InfluxDB2.refusals == []
    stamp = int(window.replace(tzinfo=datetime.UTC).timestamp())
    assert _InfluxDB2.points == [
        'usage_rollup,workload_id=wl\\ a\\,1,metric=power_watts '
        'mean=150.0,min=149.0,max=151.0,count=3i %d' % stamp,
        'usage_rollup,workload_id=wl-b,metric=power_watts '
        'mean=75.5,min=74.5,max=76.5,count=3i %d' % stamp]


@pytest.mark.parametrize('token, org, bucket, status', [
    ('wrong-token', ORG, BUCKET, 401),
    (TOKEN, 'other-org', BUCKET, 404),
    (TOKEN, ORG, 'other-bucket', 404),
])
def test_v2_write_refused_raises(influxdb2, token, org, bucket, status):
    writer = influxdb.InfluxDB2Writer(influxdb2, org, bucket, token)
    try:
        with pytest.raises(ApiException) as raised:
            writer.write([_row('wl', datetime.datetime(2026, 4, 1), 1.0)])
    finally:
        writer.close()
    assert raised.value.status == status
    assert _InfluxDB2.points == []


def test_agent_exports_to_influxdb2(influxdb2, pg_url, redis_url):
    conf = services.make_conf({
        ('database', 'connection'): pg_url,
        ('coordination', 'backend_url'): redis_url,
        ('agent', 'coordination_group'): 'kca-influx2-%s' % uuid.uuid4().hex,
        ('influxdb', 'url'): influxdb2,
        ('influxdb', 'token'): TOKEN,
        ('influxdb', 'org'): ORG,
        ('influxdb', 'bucket'): BUCKET,
        ('collector', 'enabled'): [],
        (None, 'collection_interval'): 1,
    })
    db_api.configure(conf)
    context = kcontext.get_admin_context()
    ingestor = ingest.Ingestor(context, 300, db=db_api)
    agent = agent_service.AgentService(
        conf, listen=False, member_id='influx2-' + uuid.uuid4().hex)
    assert isinstance(influxdb.writer(conf), influxdb.InfluxDB2Writer)
    workload = 'wl-%s' % uuid.uuid4().hex[:8]
    start = datetime.datetime(2026, 4, 1, 10, 0,
                              tzinfo=datetime.UTC).timestamp()
    samples = pd.DataFrame({
        'resource_id': workload, 'metric': 'power_watts',
        'timestamp': [start, start + 10.0], 'value': [100.0, 200.0],
        'message_id': 'm-%s' % uuid.uuid4()})
    agent.start()
    try:
        ingestor.store(samples, list(samples['message_id'].unique()))
        expected = ('usage_rollup,workload_id=%s,metric=power_watts '
                    'mean=150.0,min=100.0,max=200.0,count=2i %d'
                    % (workload, start))
        services.wait_for(lambda: expected in _InfluxDB2.points, 10,
                          what='the rollup written to InfluxDB 2')
    finally:
        agent.stop()
    assert _InfluxDB2.refusals == []


def test_token_without_org_is_a_clear_error():
    conf = services.make_conf({('influxdb', 'url'): 'http://127.0.0.1:1',
                               ('influxdb', 'token'): TOKEN})
    with pytest.raises(ValueError, match='org is required'):
        influxdb.writer(conf)
