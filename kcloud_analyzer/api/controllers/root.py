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
"""The root of the service: discovery, health, documentation, metrics."""

import pecan
from oslo_log import log
from oslo_serialization import jsonutils

from kcloud_analyzer.api import auth
from kcloud_analyzer.api.controllers import v1
from kcloud_analyzer.api import docs
from kcloud_analyzer.api import openapi
from kcloud_analyzer.api import utils
from kcloud_analyzer.db import api as db_api

LOG = log.getLogger(__name__)

PROMETHEUS_RULE = 'kcloud-analyzer:prometheus:get'


def _json(document, status=200):
    pecan.response.status = status
    pecan.response.content_type = 'application/json'
    pecan.response.body = jsonutils.dump_as_bytes(document)
    return pecan.response


class DocsController:
    """Swagger UI and its assets."""

    @pecan.expose(content_type='text/html')
    def index(self):
        return docs.page(pecan.request.script_name)

    @pecan.expose(content_type='application/javascript',
                  route='initializer.js')
    def initializer(self):
        return docs.initializer(pecan.request.script_name)

    @pecan.expose()
    def _default(self, name, *remainder):
        found = docs.asset(name) if not remainder else None
        if found is None:
            pecan.abort(404)
        body, content_type = found
        pecan.response.content_type = content_type
        pecan.response.body = body
        pecan.response.cache_control.max_age = 86400
        return pecan.response


class APIController:

    @pecan.expose(content_type='application/json')
    def index(self):
        return _json({'versions': [v1.version_document()]})

    v1 = v1.V1Controller()


class RootController:

    api = APIController()
    docs = DocsController()

    @pecan.expose(content_type='application/json')
    def index(self):
        """Version discovery, as other OpenStack services answer it."""
        return _json({'versions': [v1.version_document()]})

    @pecan.expose(content_type='application/json')
    def health(self):
        try:
            db_api.ping(pecan.request.context)
        except Exception:
            LOG.exception('Health check: the database does not answer')
            return _json({'status': 'error', 'database': 'unreachable'},
                         status=503)
        return _json({'status': 'ok', 'database': 'ok'})

    @pecan.expose(content_type='application/json', route='openapi.json')
    def openapi_json(self):
        return _json(openapi.document(pecan.request.application_url))

    @pecan.expose(content_type='text/plain')
    def metrics(self):
        if not pecan.request.environ.get(auth.METRICS_TRUSTED):
            utils.authorize(PROMETHEUS_RULE)
        services = pecan.request.services
        pecan.response.content_type = None
        pecan.response.headers['Content-Type'] = (
            services.metrics.CONTENT_TYPE)
        pecan.response.body = services.metrics.exposition()
        return pecan.response
