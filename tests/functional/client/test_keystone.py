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
"""The real ``openstack analyzer`` command against the API behind
keystonemiddleware, found in a real Keystone's catalog: ``--project``
by name or id."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from kcloud_analyzer.cmd import api as api_cmd
from kcloud_analyzer.common import context
from kcloud_analyzer.db import api as db_api
from tests.functional.api import keystone
from tests.functional.dashboard import stack

OPENSTACK = pathlib.Path(sys.executable).with_name('openstack')


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    with keystone.running_keystone() as url:
        admin = keystone.Admin(url)
        projects = {name: admin.project(name) for name in ('alpha', 'beta')}
        _conf, server = stack.serve_api(tmp_path_factory.mktemp('store'),
                                        url)
        try:
            for name, project_id in projects.items():
                db_api.workload_upsert(context.get_admin_context(), {
                    'workload_id': '%s-1' % name, 'project_id': project_id,
                    'declared_type': 'training',
                    'resources': {'cpu_cores': 4, 'gpu_count': 1}})
            stack.register_endpoint(url, admin, api_cmd.base_url(server))
            yield url, projects
        finally:
            server.stop()


def _openstack(url, *argv):
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env.update(OS_AUTH_URL=url + '/v3', OS_USERNAME='admin',
               OS_PASSWORD=keystone.ADMIN_PASSWORD, OS_PROJECT_NAME='admin',
               OS_USER_DOMAIN_ID='default', OS_PROJECT_DOMAIN_ID='default',
               OS_IDENTITY_API_VERSION='3', OS_REGION_NAME='RegionOne')
    return subprocess.run([str(OPENSTACK), 'analyzer', *argv],
                          capture_output=True, text=True, timeout=120,
                          env=env, check=False)


@pytest.mark.parametrize('by', ['name', 'id'])
def test_project_by_name_or_id(cloud, by):
    url, projects = cloud
    project = 'alpha' if by == 'name' else projects['alpha']
    done = _openstack(url, 'workload', 'list', '--project', project,
                      '-f', 'json')
    assert done.returncode == 0, done.stderr
    assert [w['workload_id'] for w in json.loads(done.stdout)] == [
        'alpha-1']


def test_unknown_project_is_a_clear_error(cloud):
    url, _projects = cloud
    done = _openstack(url, 'workload', 'list', '--project', 'gamma')
    assert done.returncode == 1
    assert 'gamma' in done.stderr
    # Without --project the administrator sees every project.
    done = _openstack(url, 'workload', 'list', '-f', 'value', '-c',
                      'workload_id')
    assert sorted(done.stdout.split()) == ['alpha-1', 'beta-1']
