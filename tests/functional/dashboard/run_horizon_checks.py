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
"""Render Horizon pages as real Keystone users; run by Horizon's Python.

Starts Django, then reads a JSON document on stdin (so that the caller
can start Keystone meanwhile)::

    {"keystone_url": "http://127.0.0.1:PORT/v3",
     "users": {"<name>": {"password": ..., "pages": [
        {"path": "/project/...", "settings": {"NAME": value}}]}}}

signs each user in through Horizon's login form (a real password login
against Keystone), fetches the pages, and prints a JSON document with the
registered panels, each login's status and each page's status, redirect
and HTML. The assertions are made by the caller.
"""

import json
import os
import sys
import time

STARTED = time.monotonic()

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'horizon_settings')

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django import test  # noqa: E402
from django.test import utils  # noqa: E402
from django import urls  # noqa: E402
import horizon  # noqa: E402


def registered_panels():
    # Horizon registers its dashboards when the URLconf is first loaded.
    urls.resolve(settings.LOGIN_URL)
    panels = {}
    for slug in ('project', 'admin'):
        dashboard = horizon.get_dashboard(slug)
        panels[slug] = {
            panel.slug: '%s.%s' % (type(panel).__module__,
                                   type(panel).__name__)
            for panel in dashboard.get_panels()}
    return panels


def fetch(client, page):
    started = time.monotonic()
    with utils.override_settings(**page.get('settings', {})):
        response = client.get(page['path'])
    return {'status': response.status_code,
            'location': response.get('Location'),
            'html': response.content.decode(),
            'seconds': time.monotonic() - started}


def main():
    utils.setup_test_environment()
    result = {'panels': registered_panels(), 'users': {},
              'setup_seconds': time.monotonic() - STARTED}
    request = json.load(sys.stdin)
    utils.override_settings(
        OPENSTACK_KEYSTONE_URL=request['keystone_url']).enable()
    for name, user in request['users'].items():
        client = test.Client()
        started = time.monotonic()
        login = client.post(settings.LOGIN_URL, {
            'username': name, 'password': user['password'],
            'region': 'default', 'domain': 'Default'})
        result['users'][name] = {
            'login': {'status': login.status_code,
                      'location': login.get('Location'),
                      'html': login.content.decode(),
                      'seconds': time.monotonic() - started},
            'pages': [fetch(client, page) for page in user['pages']]}
    json.dump(result, sys.stdout)


if __name__ == '__main__':
    main()
