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
"""Django settings of the dashboard tests, for Horizon's own interpreter.

Horizon's production settings, with the plugin's ``enabled`` folder seen
as part of ``openstack_dashboard/local/enabled`` (where a deployment
copies the files), Django's in-memory cache and signed-cookie sessions in
place of memcached, no offline compression, and two shortcuts that keep
Horizon's start-up out of the test time: an empty stylesheet template (no
SCSS compilation) and no policy checks (the policy files of the other
services' panels take seconds to parse; the admin panel still requires
the admin role through its permissions). The Keystone URL is set by
``run_horizon_checks.py``: the tests start Keystone, on a free port, while
Django starts.
"""

import os

from openstack_dashboard.local import enabled as local_enabled

from kcloud_analyzer_dashboard import enabled as plugin_enabled

local_enabled.__path__.append(plugin_enabled.__path__[0])

from openstack_dashboard.settings import *  # noqa: E402,F403

HERE = os.path.dirname(os.path.abspath(__file__))

SECRET_KEY = 'dashboard-functional-tests'  # noqa: S105
CACHES = {'default': {
    'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}
SESSION_ENGINE = 'django.contrib.sessions.backends.signed_cookies'
COMPRESS_ENABLED = False
COMPRESS_OFFLINE = False
ALLOWED_HOSTS = ['testserver']
TEMPLATES[0]['DIRS'].insert(0, os.path.join(HERE, 'templates'))  # noqa: F405
POLICY_CHECK_FUNCTION = None
