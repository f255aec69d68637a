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
"""The cost summary cache on a real Redis: no database read per cached
request, dropped by new and corrected cost records."""

import datetime
import socket
import uuid
from wsgiref import validate

import pandas as pd
import pytest
import redis
import sqlalchemy as sa
import webob

from kcloud_analyzer.api import app
from kcloud_analyzer.api import cache
from kcloud_analyzer.common import context
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from kcloud_analyzer.jobs import costs as cost_jobs
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
def conf(tmp_path, redis_server):
    # A database index of its own, and keys of this run only.
    conf = fixtures.make_conf(
        'sqlite:///%s' % (tmp_path / 'store.sqlite'), overrides=[
            ('cache', 'enabled', True),
            ('cache', 'backend', 'dogpile.cache.redis'),
            ('cache', 'redis_server', redis_server),
            ('cache', 'redis_db', 3),
            ('cache', 'config_prefix', 'cache.' + uuid.uuid4().hex),
        ])
    reset = test_fixtures.use_store(conf)
    migration.upgrade()
    fixtures.seed(context.get_admin_context())
    client = redis.Redis(host=REDIS[0], port=REDIS[1], db=3)
    client.flushdb()
    yield conf
    client.flushdb()
    reset()


@pytest.fixture
def application(conf):
    return app.setup_app(conf, auth_middleware=fixtures.TokenMiddleware)


def _summary(application):
    request = webob.Request.blank(SUMMARY)
    request.headers['X-Auth-Token'] = 'member-a'
    response = request.get_response(application)
    assert response.status_code == 200, response.text
    return {row['group']: row['total'] for row in response.json['summary']}


def _summaries():
    """The cached summaries: every key but the generation token (oslo.cache
    hashes the keys, so they are counted, not matched)."""
    return redis.Redis(host=REDIS[0], port=REDIS[1], db=3).dbsize() - 1


def _record(hour, total):
    return {
        'workload_id': 'train-a1', 'project_id': fixtures.PROJECT_A,
        'hour': hour, 'basis': 'allocation', 'currency': 'USD',
        'workload_type': 'training', 'accelerator': 'A100',
        'compute': total, 'gpu': 0, 'npu': 0, 'storage': 0, 'network': 0,
        'energy': 0, 'idle': 0, 'total': total,
    }


def _costs(hour, total):
    """One workload-hour as the pricing returns it, for ``store_costs``."""
    frame = pd.DataFrame({
        'workload_id': ['train-a1'], 'project_id': [fixtures.PROJECT_A],
        'hour': [pd.Timestamp(hour, tz='UTC')], 'type': ['training'],
        'accelerator': ['A100'], 'storage': [0.0], 'network': [0.0],
        'energy': [0.0], 'energy_kwh': [0.0], 'estimated_kwh': [0.0],
        'carbon_kg_co2e': [0.0], 'compute': [total], 'gpu': [0.0],
        'npu': [0.0], 'idle_cost': [0.0], 'cost_per_hour': [total],
        'usage_compute': [total], 'usage_gpu': [0.0], 'usage_npu': [0.0],
        'usage_cost_per_hour': [total]})
    frame.attrs['currency'] = 'USD'
    return frame


def test_cached_summary_reads_no_database(application):
    statements = []

    def count(*args):
        statements.append(args[2])

    engine = db_api.get_engine()
    sa.event.listen(engine, 'before_cursor_execute', count)
    try:
        first = _summary(application)
        computed = [s for s in statements if 'cost' in s.lower()]
        statements.clear()
        assert _summary(application) == first
    finally:
        sa.event.remove(engine, 'before_cursor_execute', count)
    assert computed
    assert not [s for s in statements if 'cost' in s.lower()], statements


def test_summary_is_cached_and_dropped_by_new_records(conf, application):
    admin = context.get_admin_context()
    first = _summary(application)
    assert set(first) == {'serve-a2', 'train-a1'}
    assert _summaries() == 1

    # Records written behind the API's back, by no writer of the
    # service, are not seen: the answer comes from Redis.
    hour = fixtures.START + datetime.timedelta(hours=fixtures.HOURS)
    db_api.cost_records_upsert(admin, [_record(hour, 100.0)])
    assert _summary(application) == first
    assert _summaries() == 1

    # The service's writers replace the generation after their commit:
    # the next answer is fresh.
    cache.cost_records_changed(conf)
    fresh = _summary(application)
    assert fresh['train-a1'] == pytest.approx(first['train-a1'] + 100.0)
    assert fresh['serve-a2'] == first['serve-a2']
    # The fresh answer replaced the entry of the old generation.
    assert _summaries() == 1


def test_correction_of_a_past_hour_is_seen_at_once(conf, application):
    admin = context.get_admin_context()
    first = _summary(application)
    old = db_api.cost_record_list(admin, 'train-a1', basis='allocation')[0]
    assert _summary(application) == first

    # A correction of an hour that already had a record, through the
    # agent's writer: no new record id, a different total.
    assert cost_jobs.store_costs(
        conf, admin, _costs(old['hour'], float(old['total']) + 7.5)) == 2
    fresh = _summary(application)
    assert fresh['train-a1'] == pytest.approx(first['train-a1'] + 7.5)


def test_expired_generation_gives_no_old_entry(conf, application):
    first = _summary(application)
    # The token gone (evicted or expired): a new one is drawn, and the
    # old entry is not served again.
    cache.region(conf).delete(cache.GENERATION_KEY)
    statements = []
    engine = db_api.get_engine()

    def count(*args):
        statements.append(args[2])

    sa.event.listen(engine, 'before_cursor_execute', count)
    try:
        assert _summary(application) == first
    finally:
        sa.event.remove(engine, 'before_cursor_execute', count)
    assert [s for s in statements if 'cost' in s.lower()]
    assert _summaries() == 1


def test_projects_do_not_share_entries(application):
    mine = _summary(application)
    request = webob.Request.blank(SUMMARY)
    request.headers['X-Auth-Token'] = 'member-b'
    theirs = {row['group'] for row in
              request.get_response(application).json['summary']}
    assert theirs == {'infer-b1'}
    assert set(mine).isdisjoint(theirs)
    assert _summaries() == 2


def test_summaries_are_served_as_wsgi_asks(application):
    """PEP 3333: the body is a plain bytestring, computed or cached
    (wsgiref's validator checks the exact type, as its server does)."""
    checked = validate.validator(application)
    first = _summary(checked)
    assert _summary(checked) == first
