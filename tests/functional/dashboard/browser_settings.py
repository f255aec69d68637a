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
"""Django settings of the browser test: Horizon as a deployment serves
it, with its own stylesheets, over HTTP on loopback.

Those of ``horizon_settings`` less the shortcut of an empty stylesheet
(a browser shows the pages styled), with the stylesheets compiled into a
temporary folder rather than into Horizon's installed package.
"""

import os

from horizon_settings import *  # noqa: F403

TEMPLATES[0]['DIRS'].remove(os.path.join(HERE, 'templates'))  # noqa: F405
STATIC_ROOT = COMPRESS_ROOT = os.environ['KCLOUD_BROWSER_STATIC_ROOT']
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
DEBUG = False
