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
"""The API application and its middleware, built in code (no paste)."""

from oslo_middleware import cors
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id
from oslo_middleware import sizelimit
from oslo_serialization import jsonutils
import pecan

from kcloud_analyzer.api import analysis
from kcloud_analyzer.api import argspec
from kcloud_analyzer.api import auth
from kcloud_analyzer.api import cache
from kcloud_analyzer.api.controllers import root
from kcloud_analyzer.api import errors
from kcloud_analyzer.api import hooks
from kcloud_analyzer.api import microversion
from kcloud_analyzer.api import prometheus
from kcloud_analyzer.api import validation
from kcloud_analyzer.common import context
from kcloud_analyzer.conf import opts as kopts
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer import policies


class Services:
    """Objects built once per application and shared by its requests."""

    def __init__(self, conf):
        card = ratecard.load_rate_card(conf.cost_model.rate_card_file)
        self.rate_card_document = jsonutils.loads(
            jsonutils.dumps(card.to_dict()))
        self.analysis = analysis.Analysis(conf, card)
        self.summary_cache = cache.SummaryCache(conf)
        self.metrics = prometheus.Metrics(
            lambda: db_api.store_statistics(context.get_admin_context()))


def setup_app(conf, auth_middleware=None):
    """The WSGI application of the API service.

    :param conf: a ConfigOpts from ``prepare_service``; the database must
        already be configured with ``db.api.configure(conf)``
    :param auth_middleware: a callable wrapping the application, used
        instead of ``[api] auth_strategy`` (tests authenticate this way)
    """
    kopts.set_cors_defaults()
    argspec.install()
    services = Services(conf)
    # Without authentication every caller is an administrator of every
    # project (auth.NoAuthMiddleware), with a project-scoped identity.
    noauth = auth_middleware is None and conf.api.auth_strategy == 'noauth'
    enforcer = policies.make_enforcer(conf, any_admin_all_projects=noauth)
    application = pecan.make_app(
        root.RootController(),
        hooks=[hooks.ServiceHook(conf, enforcer, services),
               hooks.ContextHook(),
               hooks.ErrorHook()],
        force_canonical=False,
        guess_content_type_from_ext=False,
    )
    # Listed innermost first: each line wraps everything above it.
    application = validation.JSONBodyMiddleware(application)
    application = auth.wrap(application, conf, auth_middleware)
    application = sizelimit.RequestBodySizeLimiter(application, conf)
    application = microversion.MicroversionMiddleware(application)
    application = errors.ErrorBodyMiddleware(application)
    application = services.metrics.middleware(application)
    application = http_proxy_to_wsgi.HTTPProxyToWSGI(application, conf)
    application = cors.CORS(application, conf)
    application = request_id.RequestId(application)
    return application
