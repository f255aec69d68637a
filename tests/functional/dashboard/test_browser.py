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
"""The panels in a real browser: headless Chromium (Debian's package,
``tools/ci/setup-chromium.sh``) signs in through Horizon's login form and
opens the project panel, a workload's page and the admin panel, served by
Horizon over HTTP against a real Keystone and the API.

The store holds the bundled sample trace (derived from public traces, see
``kcloud_analyzer/data/sample_trace_ATTRIBUTION.txt``), moved to end at the
current hour and run through the analyzer's own profile and cost jobs: the
charts show what the service computed, not numbers made up for the test.

Screenshots are kept in ``artifacts/screenshots`` (git ignores it), or in
``$KCLOUD_SCREENSHOTS``.
"""

import contextlib
import datetime
import json
import os
import pathlib
import shutil
import socket
import tempfile
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome import service as chrome_service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support import ui

from kcloud_analyzer.cmd import api as api_cmd
from kcloud_analyzer.common import context
from kcloud_analyzer.common import offline
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import costs as cost_jobs
from kcloud_analyzer.jobs import profiles as profile_jobs
from kcloud_analyzer.metrics_collector.collectors import replay
from tests.functional.api import keystone
from tests.functional.dashboard import stack

SCREENSHOTS = pathlib.Path(os.environ.get(
    'KCLOUD_SCREENSHOTS', stack.ROOT / 'artifacts' / 'screenshots'))
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
CHROMEDRIVER = shutil.which('chromedriver') or '/usr/bin/chromedriver'
SVG = '{http://www.w3.org/2000/svg}'

TENANT = ('alice', 'alice-pw', 'demo-training')
WORKLOAD = 'train-llm-a100x8'
#: seconds a page may take; the first one compiles Horizon's stylesheets
PAGE_SECONDS = 240


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _now_hour():
    return datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None, minute=0, second=0, microsecond=0)


def _seed_sample_trace(conf, projects, end):
    """The sample trace, ending at ``end``, as the agent stores it (5-minute
    rollups), then the agent's profile and cost jobs."""
    admin = context.get_admin_context()
    workloads = offline.load_workloads(replay.SAMPLE_WORKLOADS)
    usage = offline.load_usage(replay.SAMPLE_USAGE)
    first = usage['timestamp'].min().floor('h')
    hours = (usage['timestamp'].max() - first).ceil('h')
    usage['timestamp'] += pd.Timestamp(end, tz='UTC') - hours - first
    usage['window_start'] = usage['timestamp'].dt.floor('5min')
    rollups = usage.groupby(['workload_id', 'metric', 'window_start'])[
        'value'].agg(['mean', 'min', 'max', 'count']).reset_index()
    rollups['window_start'] = rollups['window_start'].dt.tz_localize(None)
    rollups['count'] = rollups['count'].astype(int)
    for row in workloads.to_dict('records'):
        db_api.workload_upsert(admin, {
            'workload_id': row['workload_id'],
            'project_id': projects[row['project_id']],
            'name': row['workload_id'],
            'declared_type': row['type'] or None,
            'resources': {'cpu_cores': row['cpu_cores'],
                          'memory_gb': row['memory_gb'],
                          'gpu_count': row['gpu_count'],
                          'npu_count': row['npu_count'],
                          'accelerator': row['accelerator']},
            'accelerator': row['accelerator']})
    db_api.rollups_upsert(admin, rollups.to_dict('records'))
    profile_jobs.update_profiles(conf, admin, now=end)
    written, _found = cost_jobs.update_costs(conf, admin, now=end)
    assert written, 'the cost job priced nothing'
    return end - hours.to_pytimedelta()


def _chromium(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ('--headless', '--no-sandbox', '--disable-gpu',
                     '--disable-quic', '--no-first-run',
                     '--disable-background-networking',
                     '--disable-component-update', '--disable-sync',
                     '--user-data-dir=%s' % profile,
                     '--window-size=1400,2200'):
        options.add_argument(argument)
    driver = webdriver.Chrome(
        service=chrome_service.Service(executable_path=CHROMEDRIVER),
        options=options)
    driver.set_page_load_timeout(PAGE_SECONDS)
    return driver


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """Keystone, the API with the sample trace, Horizon over HTTP."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        raise RuntimeError('Chromium is not installed; run '
                           'tools/ci/setup-chromium.sh')
    port = _free_port()
    static_root = tmp_path_factory.mktemp('static')
    process = stack.start_horizon(
        'serve_horizon.py', KCLOUD_BROWSER_STATIC_ROOT=str(static_root))
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(stack.stop, process)
        keystone_url = cleanup.enter_context(keystone.running_keystone())
        admin = keystone.Admin(keystone_url)
        projects = {name: admin.project(name) for name in (
            'demo-training', 'demo-inference', 'demo-serving')}
        user, password, project = TENANT
        admin.user(user, password, projects[project], 'member')
        conf, server = stack.serve_api(tmp_path_factory.mktemp('store'),
                                       keystone_url)
        cleanup.callback(server.stop)
        end = _now_hour()
        start = _seed_sample_trace(conf, projects, end)
        stack.register_endpoint(keystone_url, admin,
                                api_cmd.base_url(server))
        process.stdin.write(json.dumps({'keystone_url': keystone_url + '/v3',
                                        'port': port}) + '\n')
        process.stdin.flush()
        assert process.stdout.readline().strip() == 'READY', (
            process.stderr.read())
        url = 'http://127.0.0.1:%d' % port
        # The first page compiles Horizon's stylesheets: once, here.
        requests.get(url + '/auth/login/', timeout=PAGE_SECONDS)
        yield {'url': url, 'start': start, 'end': end,
               'projects': projects}


@pytest.fixture
def browser(request):
    profile = tempfile.mkdtemp(prefix='chromium-profile-')
    driver = _chromium(profile)
    try:
        yield driver
    finally:
        # The last page each test saw, to read when it failed.
        folder = SCREENSHOTS / 'last-page'
        folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            (folder / ('%s.html' % request.node.name)).write_text(
                '<!-- %s -->\n%s' % (driver.current_url, driver.page_source))
            driver.save_screenshot(str(folder / ('%s.png'
                                                  % request.node.name)))
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _login(browser, url, user, password):
    browser.get(url + '/auth/login/')
    browser.find_element(By.ID, 'id_username').send_keys(user)
    browser.find_element(By.ID, 'id_password').send_keys(password)
    browser.find_element(By.CSS_SELECTOR, 'form button[type=submit]').click()
    ui.WebDriverWait(browser, PAGE_SECONDS).until(
        lambda driver: '/auth/login' not in driver.current_url)


def _screenshot(browser, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / ('%s.png' % name)
    # The whole page, not only the window.
    height = browser.execute_script(
        'return document.documentElement.scrollHeight')
    browser.set_window_size(1400, min(max(height, 900), 4000))
    assert browser.save_screenshot(str(path))
    return path


def _chart(browser, css):
    """The SVG root of the chart in the element ``css``."""
    element = ui.WebDriverWait(browser, PAGE_SECONDS).until(
        expected_conditions.presence_of_element_located(
            (By.CSS_SELECTOR, css + ' svg')))
    assert element.is_displayed()
    return ET.fromstring(element.get_attribute('outerHTML'))


def _bar_titles(svg):
    return [t.text for t in svg.iter(SVG + 'title')]


def test_project_panel_charts_the_cost_by_line(site, browser):
    user, password, project = TENANT
    _login(browser, site['url'], user, password)
    # The month the page's month-to-date figure is of.
    this_month = _now_hour().replace(day=1, hour=0)
    browser.get(site['url'] + '/project/workload_analyzer/')
    ui.WebDriverWait(browser, PAGE_SECONDS).until(
        expected_conditions.presence_of_element_located(
            (By.ID, 'kcloud-start')))
    # Narrow the range to the trace's days (one, or two when it crossed
    # midnight), by hour, through the form.
    days = {'kcloud-start': site['start'].date().isoformat(),
            'kcloud-end': (site['end'] - datetime.timedelta(hours=1))
            .date().isoformat()}
    for field, day in days.items():
        browser.execute_script(
            'document.getElementById(arguments[0]).value = arguments[1]',
            field, day)
    ui.Select(browser.find_element(By.ID, 'kcloud-period')).select_by_value(
        'hour')
    browser.find_element(By.ID, 'kcloud-range-submit').click()
    ui.WebDriverWait(browser, PAGE_SECONDS).until(
        lambda driver: 'period=hour' in driver.current_url)
    svg = _chart(browser, '.kcloud-cost-chart')
    titles = _bar_titles(svg)
    # The trace's training workloads run A100s: GPU, compute and energy
    # lines, in several hours.
    for line in ('gpu', 'compute', 'energy'):
        assert any(' %s: ' % line in title for title in titles), titles
    # bars in several hours ('MM-DD HH:00 line: amount currency')
    assert len({' '.join(title.split(' ')[:2]) for title in titles}) >= 5
    month = browser.find_element(By.CSS_SELECTOR, '.month-to-date').text
    forecast = browser.find_element(By.CSS_SELECTOR,
                                    '.month-forecast').text.splitlines()
    spent = sum(row['total'] for row in db_api.cost_summary(
        context.get_admin_context(), 'project', 'month', start=this_month,
        project_id=site['projects'][project]))
    if not spent:
        # The tenant's workloads of the trace ended before this month
        # began (a run early in a month): nothing spent this month yet.
        assert month == '-', month
    else:
        assert month == '%.2f USD' % spent, month
        assert month.endswith('USD') and float(month.split()[0]) > 0
        # The month-end forecast, with its interval, is at least what
        # was spent so far.
        assert forecast[0].endswith('USD'), forecast
        assert float(forecast[0].split()[0]) >= float(month.split()[0])
        assert forecast[1].startswith('80% interval'), forecast
    page = browser.page_source
    assert 'train-llm-a100x8' in page
    assert 'serve-chat-h100' not in page
    _screenshot(browser, 'project-workload-analyzer')


def test_workload_page_charts_utilisation_and_power(site, browser):
    user, password, _project = TENANT
    _login(browser, site['url'], user, password)
    browser.get(site['url'] + '/project/workload_analyzer/%s/' % WORKLOAD)
    utilisation = _chart(browser, '.kcloud-utilisation-chart')
    names = {t.text for t in utilisation.iter(SVG + 'title')}
    assert {'GPU', 'CPU'} <= names
    points = [p.get('points').split()
              for p in utilisation.iter(SVG + 'polyline')]
    assert max(len(p) for p in points) >= 60  # 6 h of 5-minute windows
    power = _chart(browser, '.kcloud-power-chart')
    assert 'Accelerators' in {t.text for t in power.iter(SVG + 'title')}
    _screenshot(browser, 'project-workload')


def test_admin_panel_costs_by_project_and_accelerator(site, browser):
    _login(browser, site['url'], 'admin', keystone.ADMIN_PASSWORD)
    browser.get(site['url'] + '/admin/workload_analyzer/')
    by_project = _chart(browser, '.kcloud-by-project')
    labels = {t.text for t in by_project.iter(SVG + 'title')}
    # Projects by their Keystone names, not their ids.
    for name, project_id in site['projects'].items():
        assert name in labels, labels
        assert project_id not in labels
    by_accelerator = _chart(browser, '.kcloud-by-accelerator')
    labels = {t.text for t in by_accelerator.iter(SVG + 'title')}
    assert {'A100', 'H100'} <= labels
    savings = _chart(browser, '.kcloud-savings')
    assert _bar_titles(savings)
    assert browser.find_element(By.CSS_SELECTOR,
                                '.idle-accelerators').is_displayed()
    _screenshot(browser, 'admin-workload-analyzer')
