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
"""The Horizon plugin, rendered by Django's test client in Horizon's own
virtualenv, as real Keystone users, against the real API.

Everything is real: Keystone (``tools/ci/setup-keystone.sh``) issues the
tokens, Horizon (``tools/ci/setup-horizon.sh``) signs the users in through
its login form and finds the API in the Keystone catalog, and the API
checks each token with keystonemiddleware and answers from a SQLite
store. Horizon runs in a subprocess (``run_horizon_checks.py``) because it
lives in its own virtualenv; it returns the pages and the assertions are
made here.
"""

import contextlib
import datetime
import json
import socket
import subprocess
import uuid

import pytest

from kcloud_analyzer.cmd import api as api_cmd
from kcloud_analyzer.common import context
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import efficacy
from tests.functional.api import keystone
from tests.functional.dashboard import stack

CHECKS = 'run_horizon_checks.py'

START = datetime.datetime(2026, 3, 30, 20, 0)
HOURS = 8
LINES = ('compute', 'gpu', 'npu', 'storage', 'network', 'energy')

# workload id -> project name, class, confidence, accelerator, GPUs,
# hourly cost of each line, monthly saving of its recommendation
WORKLOADS = {
    'alpha-train': ('alpha', 'training', 0.87, 'A100', 4,
                    {'compute': 1.5, 'gpu': 10.0, 'npu': 0.0,
                     'storage': 0.25, 'network': 0.125, 'energy': 0.75},
                    412.5),
    'alpha-serve': ('alpha', 'serving', 0.64, 'L40S', 1,
                    {'compute': 0.5, 'gpu': 1.75, 'npu': 0.0,
                     'storage': 0.0625, 'network': 0.5, 'energy': 0.25},
                    96.25),
    'beta-infer': ('beta', 'inference', 0.93, 'H100', 2,
                   {'compute': 1.0, 'gpu': 6.5, 'npu': 0.0,
                    'storage': 0.125, 'network': 0.25, 'energy': 0.5},
                   230.0),
    # A project Keystone no longer knows: its workloads stay in the store.
    'gamma-old': ('gamma', 'training', 0.71, 'A100', 1,
                  {'compute': 0.5, 'gpu': 2.5, 'npu': 0.0,
                   'storage': 0.0625, 'network': 0.0, 'energy': 0.25},
                  55.0),
}
#: the id of project gamma, never created in Keystone
GONE_PROJECT_ID = uuid.uuid4().hex
PROFILE = {'resource': {'primary_metric': 'gpu_utilization',
                        'gpu_utilization.mean': 41.25,
                        'gpu_utilization.p95': 77.5},
           'energy': {'energy_kwh': 18.75}}

USERS = {'alice': ('alice-pw', 'alpha', 'member'),
         'bob': ('bob-pw', 'beta', 'member')}


def _money(amount):
    return '%.2f USD' % amount


def _hour_factor(hour):
    """Costs vary by hour so that the latest hour and the sums differ."""
    return 1.0 + 0.5 * (hour % 2)


def _seed(projects):
    admin = context.get_admin_context()
    for workload_id, (project, kind, confidence, accelerator, gpus, cost,
                      saving) in WORKLOADS.items():
        project_id = projects[project]
        db_api.workload_upsert(admin, {
            'workload_id': workload_id, 'project_id': project_id,
            'name': 'job %s' % workload_id, 'classified_type': kind,
            'confidence': confidence, 'accelerator': accelerator,
            'resources': {'cpu_cores': 8, 'memory_gb': 64,
                          'gpu_count': gpus, 'accelerator': accelerator},
            'profile': PROFILE})
        rows = []
        for hour in range(HOURS):
            lines = {line: cost[line] * _hour_factor(hour) for line in LINES}
            rows.append(dict(
                lines, workload_id=workload_id, project_id=project_id,
                hour=START + datetime.timedelta(hours=hour),
                basis='allocation', currency='USD', workload_type=kind,
                accelerator=accelerator, idle=0.0,
                total=sum(lines.values()), energy_kwh=1.0, carbon_kg=0.4))
        db_api.cost_records_upsert(admin, rows)
        db_api.recommendations_replace(admin, workload_id, [{
            'project_id': project_id, 'kind': 'rightsize_gpu',
            'action': 'Run %s on fewer GPUs' % workload_id,
            'monthly_saving': saving, 'currency': 'USD',
            'confidence': 0.8, 'evidence': {}}] + ([{
                'project_id': project_id, 'kind': 'oversized_compute',
                'action': 'resize to flavor c1.medium',
                'monthly_saving': APPLIED_PROMISED, 'currency': 'USD',
                'confidence': 0.9, 'evidence': {}}]
                if workload_id == 'beta-infer' else []))
    # beta's instance was resized ten minutes into the fourth hour: its
    # realised saving compares the second hour with the fifth
    db_api.recommendations_apply(
        admin, 'beta-infer', 'resize',
        START + datetime.timedelta(hours=3, minutes=10),
        ('oversized_compute',))
    efficacy.realise(admin, now=START + datetime.timedelta(hours=HOURS),
                     hours=1)


#: promised monthly saving of beta's applied resize
APPLIED_PROMISED = 75.0


def _closed_port_url():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return 'http://127.0.0.1:%d' % sock.getsockname()[1]


CLOSED_URL = _closed_port_url()


def _horizon_results(process, request):
    try:
        stdout, stderr = process.communicate(json.dumps(request),
                                             timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError('Horizon did not render the pages in 120 s')
    if process.returncode:
        raise RuntimeError('Horizon checks failed:\n%s' % stderr)
    return json.loads(stdout)


PAGES = {
    'alice': [
        {'path': '/project/workload_analyzer/'},
        {'path': '/project/workload_analyzer/alpha-train/'},
        {'path': '/project/workload_analyzer/beta-infer/'},
        # Follows the redirect, to read its error message.
        {'path': '/project/workload_analyzer/'},
        {'path': '/project/workload_analyzer/',
         'settings': {'KCLOUD_ANALYZER_URL': CLOSED_URL}},
    ],
    'bob': [{'path': '/project/workload_analyzer/'}],
    'admin': [{'path': '/admin/workload_analyzer/'},
              {'path': '/admin/workload_analyzer/beta-infer/'},
              {'path': '/admin/workload_analyzer/gamma-old/'}],
}


@pytest.fixture(scope='module')
def horizon(tmp_path_factory):
    """Keystone, the API behind auth_token, and the pages Horizon rendered
    for each user."""
    # Django starts in Horizon's interpreter while Keystone starts here.
    process = stack.start_horizon(CHECKS)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(stack.stop, process)
        keystone_url = cleanup.enter_context(keystone.running_keystone())
        admin = keystone.Admin(keystone_url)
        projects = {}
        for user, (password, project, role) in USERS.items():
            projects[project] = admin.project(project)
            admin.user(user, password, projects[project], role)
        projects['gamma'] = GONE_PROJECT_ID

        _conf, server = stack.serve_api(tmp_path_factory.mktemp('store'),
                                        keystone_url)
        cleanup.callback(server.stop)
        _seed(projects)
        stack.register_endpoint(keystone_url, admin,
                                api_cmd.base_url(server))

        passwords = dict({user: spec[0] for user, spec in USERS.items()},
                         admin=keystone.ADMIN_PASSWORD)
        results = _horizon_results(process, {
            'keystone_url': keystone_url + '/v3',
            'users': {user: {'password': passwords[user], 'pages': pages}
                      for user, pages in PAGES.items()}})
        results['projects'] = projects
        yield results


def _page(horizon, user, index):
    page = horizon['users'][user]['pages'][index]
    assert page['status'] == 200, (page['status'], page['location'],
                                   page['html'][-2000:])
    return page['html']


def test_panels_are_registered(horizon):
    assert horizon['panels']['project']['workload_analyzer'] == (
        'kcloud_analyzer_dashboard.content.workloads.panel.'
        'WorkloadAnalyzer')
    assert horizon['panels']['admin']['workload_analyzer'] == (
        'kcloud_analyzer_dashboard.content.admin_workloads.panel.'
        'AdminWorkloadAnalyzer')


def test_users_sign_in_through_keystone(horizon):
    for user in ('alice', 'bob', 'admin'):
        login = horizon['users'][user]['login']
        assert login['status'] == 302, login
        assert '/auth/login' not in (login['location'] or ''), login


def test_index_lists_the_projects_workloads(horizon):
    html = _page(horizon, 'alice', 0)
    assert 'href="/project/workload_analyzer/"' in html
    for workload_id, (project, kind, confidence, accelerator, _gpus, cost,
                      saving) in WORKLOADS.items():
        if project != 'alpha':
            # Alice's token is scoped to alpha: the API never shows her
            # beta's workload.
            assert workload_id not in html
            continue
        assert 'href="/project/workload_analyzer/%s/"' % workload_id in html
        assert '%s (%.0f%%)' % (kind, 100 * confidence) in html
        assert accelerator in html
        to_date = sum(sum(cost.values()) * _hour_factor(hour)
                      for hour in range(HOURS))
        assert _money(to_date) in html
        assert _money(saving) in html
        assert 'Run %s on fewer GPUs' % workload_id in html
    alpha_saving = sum(item[6] for item in WORKLOADS.values()
                       if item[0] == 'alpha')
    assert 'could save %s a month' % _money(alpha_saving) in html


def test_other_project_sees_only_its_own(horizon):
    html = _page(horizon, 'bob', 0)
    assert 'beta-infer' in html
    assert 'inference (93%)' in html
    assert _money(WORKLOADS['beta-infer'][6]) in html
    assert 'alpha-train' not in html and 'alpha-serve' not in html


def test_detail_shows_resources_profile_and_costs(horizon):
    html = _page(horizon, 'alice', 1)
    _project, kind, confidence, accelerator, gpus, cost, saving = (
        WORKLOADS['alpha-train'])
    assert 'alpha-train' in html and 'job alpha-train' in html
    assert '%s (%.0f%%)' % (kind, 100 * confidence) in html
    latest = _hour_factor(HOURS - 1)
    assert ('<dd class="cost-per-hour">%s</dd>'
            % _money(sum(cost.values()) * latest)) in html
    total = sum(sum(cost.values()) * _hour_factor(hour)
                for hour in range(HOURS))
    assert '<dd class="cost-total">%s</dd>' % _money(total) in html
    last_hour = START + datetime.timedelta(hours=HOURS - 1)
    assert '<dd>%s UTC</dd>' % last_hour.strftime('%Y-%m-%d %H:%M') in html
    line_total = sum(_hour_factor(hour) for hour in range(HOURS))
    for line in LINES:
        assert ('<td>%s</td>\n          <td>%s</td>\n          <td>%s</td>'
                % (line, _money(cost[line] * latest),
                   _money(cost[line] * line_total))) in html
    assert '<dd>%d</dd>' % gpus in html
    assert accelerator in html
    assert '%.2f' % PROFILE['resource']['gpu_utilization.mean'] in html
    assert '%.2f' % PROFILE['energy']['energy_kwh'] in html
    assert _money(saving) in html


def test_detail_of_another_projects_workload_redirects(horizon):
    page = horizon['users']['alice']['pages'][2]
    assert page['status'] == 302
    assert page['location'] == '/project/workload_analyzer/'
    html = _page(horizon, 'alice', 3)
    assert 'Workload beta-infer could not be found.' in html


def test_analyzer_url_setting_overrides_the_catalog(horizon):
    # The setting points at a port nothing listens on: the page still
    # renders, with the error and no workloads.
    html = _page(horizon, 'alice', 4)
    assert 'The workload analyzer cannot be reached' in html
    assert CLOSED_URL + '/api/v1/workloads' in html
    assert 'alpha-train' not in html


def test_admin_panel_lists_every_project(horizon):
    html = _page(horizon, 'admin', 0)
    assert 'href="/admin/workload_analyzer/"' in html
    for workload_id, (_project, kind, confidence, *_rest, saving) in (
            WORKLOADS.items()):
        assert 'href="/admin/workload_analyzer/%s/"' % workload_id in html
        assert '%s (%.0f%%)' % (kind, 100 * confidence) in html
        assert _money(saving) in html
    html = _page(horizon, 'admin', 1)
    cost = WORKLOADS['beta-infer'][5]
    assert ('<dd class="cost-per-hour">%s</dd>'
            % _money(sum(cost.values()) * _hour_factor(HOURS - 1))) in html


def test_admin_panel_shows_an_applied_recommendation_realised(horizon):
    html = _page(horizon, 'admin', 0)
    table = html[html.index('applied-recommendations'):]
    table = table[:table.index('</table>')]
    cost = sum(WORKLOADS['beta-infer'][5].values())
    # the hour before the change (factor 1.5) against the hour after it
    # (factor 1.0), a month of them
    realised = cost * (_hour_factor(1) - _hour_factor(4)) * 730
    assert 'beta-infer' in table and 'resize' in table
    assert '<td>%s</td>' % _money(APPLIED_PROMISED) in table
    assert '<td>%s</td>' % _money(realised) in table
    assert '<td>%.1f</td>' % 0.0 in table
    # applied advice is no longer listed among the savings available
    assert 'resize to flavor c1.medium' not in html


def test_members_do_not_get_the_admin_panel(horizon):
    html = _page(horizon, 'bob', 0)
    assert 'href="/admin/workload_analyzer/"' not in html


def _project_cell(project_id, shown):
    return ('<dd class="workload-project" title="%s">%s</dd>'
            % (project_id, shown))


def test_detail_names_the_project(horizon):
    projects = horizon['projects']
    # Alice's own project: the name her token carries.
    html = _page(horizon, 'alice', 1)
    assert _project_cell(projects['alpha'], 'alpha') in html
    # The administrator, scoped to project admin, looks at beta's
    # workload: the name comes from Keystone.
    html = _page(horizon, 'admin', 1)
    assert _project_cell(projects['beta'], 'beta') in html
    assert 'Unable to retrieve the project name.' not in html


def test_detail_of_a_project_keystone_does_not_know_shows_its_id(horizon):
    html = _page(horizon, 'admin', 2)
    assert _project_cell(GONE_PROJECT_ID, GONE_PROJECT_ID) in html
    assert 'Unable to retrieve the project name.' in html
    cost = WORKLOADS['gamma-old'][5]
    assert ('<dd class="cost-per-hour">%s</dd>'
            % _money(sum(cost.values()) * _hour_factor(HOURS - 1))) in html
