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
"""The cost summary cache on a real Redis, dropped by new cost records."""

import datetime
import socket
import uuid

import pytest
import redis
import webob

from kcloud_analyzer.api import app
from kcloud_analyzer.common import context
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from tests import fixtures as test_fixtures
from tests.functional.api import fixtures

REDIS = ('127.0.0.1', 6379)
SUMMARY = '/api/v1/cost?group_by=workload&period=month'


@pytest.fixture
def redis_server():
    # A functional test fails, not skips, when its service is away.
    socket.create_connection(REDIS, timeout=5).close()
    return '%s:%d' % REDIS


@pytest.fixture
def application(tmp_path, redis_server):
    # A database index of its own, and keys of this run only.
    conf = fixtures.make_conf(
        'sqlite:///%s' % (tmp_path / 'store.sqlite'), overrides=[
            ('cache', 'enabled', True),
            ('cache', 'backend', 'dogpile.cache.redis'),
            ('cache', 'redis_server', redis_server),
            ('cache', 'redis_db', 3),
            ('cache', 'config_prefix', 'cache.' + uuid.uuid4().hex),
        ])
    test_fixtures.use_store(conf)
    migration.upgrade()
    fixtures.seed(context.get_admin_context())
    client = redis.Redis(host=REDIS[0], port=REDIS[1], db=3)
    client.flushdb()
    yield app.setup_app(conf, auth_middleware=fixtures.TokenMiddleware)
    client.flushdb()


def _summary(application):
    request = webob.Request.blank(SUMMARY)
    request.headers['X-Auth-Token'] = 'member-a'
    response = request.get_response(application)
    assert response.status_code == 200, response.text
    return {row['group']: row['total'] for row in response.json['summary']}


def _keys():
    return redis.Redis(host=REDIS[0], port=REDIS[1], db=3).keys('*')


def test_summary_is_cached_and_dropped_by_new_records(application):
    admin = context.get_admin_context()
    first = _summary(application)
    assert set(first) == {'serve-a2', 'train-a1'}
    assert len(_keys()) == 1

    # Records written behind the API's back with the same id watermark
    # are not seen: the answer comes from Redis.
    assert _summary(application) == first
    assert len(_keys()) == 1

    # A new cost record raises the watermark: the next answer is fresh.
    db_api.cost_records_upsert(admin, [{
        'workload_id': 'train-a1', 'project_id': fixtures.PROJECT_A,
        'hour': fixtures.START + datetime.timedelta(hours=fixtures.HOURS),
        'basis': 'allocation', 'currency': 'USD',
        'workload_type': 'training', 'accelerator': 'A100',
        'compute': 1.0, 'gpu': 0, 'npu': 0, 'storage': 0, 'network': 0,
        'energy': 0, 'idle': 0, 'total': 100.0,
    }])
    fresh = _summary(application)
    assert fresh['train-a1'] == pytest.approx(first['train-a1'] + 100.0)
    assert fresh['serve-a2'] == first['serve-a2']
    assert len(_keys()) == 2


def test_projects_do_not_share_entries(application):
    mine = _summary(application)
    request = webob.Request.blank(SUMMARY)
    request.headers['X-Auth-Token'] = 'member-b'
    theirs = {row['group'] for row in
              request.get_response(application).json['summary']}
    assert theirs == {'infer-b1'}
    assert set(mine).isdisjoint(theirs)
    assert len(_keys()) == 2
