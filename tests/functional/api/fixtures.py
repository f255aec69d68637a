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
"""Gabbi fixtures: a real SQLite store with two projects' data, and an
authentication middleware standing in for keystonemiddleware.

:class:`TokenMiddleware` sets exactly the headers auth_token sets for a
valid token, so everything behind it (context, policy, controllers) runs
as in production; the real auth_token is exercised against a real
Keystone in ``test_keystone.py``.
"""

import datetime
import os
import tempfile

from gabbi import fixture
from oslo_middleware import cors
import webob
import webob.dec

from kcloud_analyzer.api import app
from kcloud_analyzer.common import context
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from kcloud_analyzer.jobs import efficacy
from kcloud_analyzer import service

from tests import fixtures as test_fixtures

PROJECT_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
PROJECT_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'

# token -> identity, with the roles Keystone's implied roles would add.
TOKENS = {
    'admin-token': {'user': 'admin', 'project': PROJECT_A,
                    'roles': 'admin,member,reader'},
    'member-a': {'user': 'alice', 'project': PROJECT_A,
                 'roles': 'member,reader'},
    'reader-a': {'user': 'anna', 'project': PROJECT_A, 'roles': 'reader'},
    'member-b': {'user': 'bob', 'project': PROJECT_B,
                 'roles': 'member,reader'},
    'system-reader': {'user': 'sam', 'system': 'all', 'roles': 'reader'},
    'system-admin': {'user': 'root', 'system': 'all',
                     'roles': 'admin,member,reader'},
}

# The headers auth_token removes from every request before setting its
# own, so that a caller cannot claim an identity.
_IDENTITY_HEADERS = ('HTTP_X_IDENTITY_STATUS', 'HTTP_X_USER_ID',
                     'HTTP_X_PROJECT_ID', 'HTTP_X_ROLES',
                     'HTTP_OPENSTACK_SYSTEM_SCOPE', 'HTTP_X_USER_NAME',
                     'HTTP_X_PROJECT_NAME')

START = datetime.datetime(2026, 1, 5, 0, 0)
HOURS = 48

CONF = None


class TokenMiddleware:
    """Validate the fixed tokens of :data:`TOKENS` as auth_token would."""

    def __init__(self, application):
        self.application = application

    @webob.dec.wsgify
    def __call__(self, request):
        for name in _IDENTITY_HEADERS:
            request.environ.pop(name, None)
        identity = TOKENS.get(request.headers.get('X-Auth-Token'))
        if identity is None:
            # 'expired-token' and any unknown token end here, as auth_token
            # answers for a token Keystone no longer accepts.
            response = webob.Response(
                status=401, content_type='application/json',
                body=b'{"error": {"code": 401, "title": "Unauthorized", '
                     b'"message": "The request you have made requires '
                     b'authentication."}}')
            response.headers['WWW-Authenticate'] = (
                "Keystone uri='http://127.0.0.1/identity'")
            return response
        environ = request.environ
        environ['HTTP_X_IDENTITY_STATUS'] = 'Confirmed'
        environ['HTTP_X_USER_ID'] = identity['user']
        environ['HTTP_X_ROLES'] = identity['roles']
        if 'project' in identity:
            environ['HTTP_X_PROJECT_ID'] = identity['project']
        else:
            environ['HTTP_OPENSTACK_SYSTEM_SCOPE'] = identity['system']
        return request.get_response(self.application)


def make_conf(connection, overrides=(), config_files=()):
    conf = service.prepare_service([],
                                   default_config_files=list(config_files))
    conf.set_override('connection', connection, group='database')
    conf.set_override('auth_strategy', 'keystone', group='api')
    # The CORS middleware registers its options when built; overrides of
    # them need them now.
    conf.register_opts(cors.CORS_OPTS, group='cors')
    for group, name, value in overrides:
        conf.set_override(name, value, group=group)
    return conf


def seed(admin):
    """Two workloads in project A, one in project B, with 48 hours of
    cost records, rollups and recommendations."""
    workloads = [
        ('train-a1', PROJECT_A, 'training', 'A100', 8, 4),
        ('serve-a2', PROJECT_A, 'serving', 'L40S', 4, 1),
        ('infer-b1', PROJECT_B, 'inference', 'H100', 16, 2),
    ]
    for workload_id, project, kind, accel, cores, gpus in workloads:
        db_api.workload_upsert(admin, {
            'workload_id': workload_id, 'project_id': project,
            'name': workload_id, 'declared_type': kind,
            'classified_type': kind, 'confidence': 0.9,
            'accelerator': accel,
            'resources': {'cpu_cores': cores, 'memory_gb': cores * 8,
                          'gpu_count': gpus, 'npu_count': 0,
                          'accelerator': accel},
        })
        rows = []
        for hour in range(HOURS):
            compute = 0.25 * cores
            gpu = 2.0 * gpus
            rows.append({
                'workload_id': workload_id, 'project_id': project,
                'hour': START + datetime.timedelta(hours=hour),
                'basis': 'allocation', 'currency': 'USD',
                'workload_type': kind, 'accelerator': accel,
                'compute': compute, 'gpu': gpu, 'npu': 0, 'storage': 0.01,
                'network': 0.02, 'energy': 0.5, 'idle': 0.1 * gpus,
                'total': compute + gpu + 0.53, 'energy_kwh': 1.2,
                'carbon_kg': 0.48,
            })
        db_api.cost_records_upsert(admin, rows)
        db_api.rollups_upsert(admin, [{
            'workload_id': workload_id, 'metric': 'gpu_utilization',
            'window_start': START + datetime.timedelta(minutes=5 * i),
            'mean': 50.0 + i, 'min': 40.0, 'max': 90.0, 'count': 10,
        } for i in range(12)])
        db_api.recommendations_replace(admin, workload_id, [{
            'project_id': project, 'kind': 'rightsize_gpu',
            'action': 'Use %d GPUs instead of %d' % (max(gpus // 2, 1),
                                                      gpus),
            'monthly_saving': 100.0 * gpus, 'currency': 'USD',
            'monthly_kwh': 73.0 * gpus, 'confidence': 0.8,
            'evidence': {'gpu_util_p95': 41.0},
        }])
    # B's advice was acted on after its first day; its cost stayed the
    # same on both sides, so it realised nothing
    db_api.recommendations_apply(admin, 'infer-b1', 'resize',
                                 START + datetime.timedelta(hours=24),
                                 ('rightsize_gpu',))
    efficacy.realise(admin, now=START + datetime.timedelta(hours=HOURS),
                     hours=HOURS // 2 - 1)


class APIFixture(fixture.GabbiFixture):
    """A fresh SQLite store with the seed data, per YAML file."""

    def start_fixture(self):
        global CONF
        self.tempdir = tempfile.mkdtemp(prefix='kcloud-analyzer-gabbi-')
        path = os.path.join(self.tempdir, 'store.sqlite')
        CONF = make_conf('sqlite:///%s' % path, overrides=[
            ('cors', 'allowed_origin', ['http://dashboard.example'])])
        self.reset_store = test_fixtures.use_store(CONF)
        migration.upgrade()
        seed(context.get_admin_context())

    def stop_fixture(self):
        global CONF
        self.reset_store()
        CONF = None
        for name in os.listdir(self.tempdir):
            os.unlink(os.path.join(self.tempdir, name))
        os.rmdir(self.tempdir)


class _CurrentApp:
    """The API of the running fixture's store, one per YAML file.

    Gabbi asks for the application while collecting, before any fixture
    has started, and again for every test; the real one is built on the
    first request after a fixture starts and kept until the next one.
    """

    conf = None
    application = None

    def __call__(self, environ, start_response):
        if _CurrentApp.conf is not CONF:
            _CurrentApp.conf = CONF
            _CurrentApp.application = app.setup_app(
                CONF, auth_middleware=TokenMiddleware)
        return _CurrentApp.application(environ, start_response)


def setup_app():
    """Gabbi's intercept: the API behind the test token middleware."""
    return _CurrentApp()
