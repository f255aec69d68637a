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
"""Who is calling: keystonemiddleware auth_token, or nobody checked.

The discovery, health and documentation paths answer without a token so
that load balancers and browsers can reach them; ``/metrics`` does so only
for the networks of ``[api] metrics_allowed_cidrs`` (Prometheus), and asks
others for a token.
"""

import ipaddress

from keystonemiddleware import auth_token
from oslo_log import log

LOG = log.getLogger(__name__)

PUBLIC_PATHS = frozenset(['', '/', '/health', '/openapi.json',
                          '/docs', '/api', '/api/', '/api/v1', '/api/v1/'])
PUBLIC_PREFIXES = ('/docs/',)
METRICS_PATH = '/metrics'
#: set in the WSGI environment of a /metrics request from a trusted network
METRICS_TRUSTED = 'kcloud_analyzer.metrics_trusted'


def is_public(path):
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def networks(cidrs):
    """ip_network objects of ``cidrs``; ValueError names a bad one."""
    found = []
    for cidr in cidrs:
        try:
            found.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError as error:
            raise ValueError('[api] metrics_allowed_cidrs: %s' % error)
    return tuple(found)


def _in_networks(address, trusted):
    try:
        address = ipaddress.ip_address(address.split('%', 1)[0])
    except ValueError:
        return False
    if getattr(address, 'ipv4_mapped', None):
        address = address.ipv4_mapped
    return any(address in network for network in trusted
               if network.version == address.version)


class PublicRoutes:
    """Send public paths, and /metrics from trusted networks, around the
    authentication middleware."""

    def __init__(self, application, authenticated, metrics_networks=()):
        self.application = application
        self.authenticated = authenticated
        self.metrics_networks = tuple(metrics_networks)

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        if is_public(path):
            return self.application(environ, start_response)
        if path == METRICS_PATH and _in_networks(
                environ.get('REMOTE_ADDR', ''), self.metrics_networks):
            environ[METRICS_TRUSTED] = True
            return self.application(environ, start_response)
        return self.authenticated(environ, start_response)


class NoAuthMiddleware:
    """Treat every caller as a cloud administrator.

    For the embedded single-machine default only. A caller may still name
    a project with ``X-Project-Id`` so that writes land in it.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        environ['HTTP_X_IDENTITY_STATUS'] = 'Confirmed'
        environ['HTTP_X_USER_ID'] = 'noauth'
        environ['HTTP_X_ROLES'] = 'admin,member,reader'
        environ.setdefault('HTTP_X_PROJECT_ID', 'noauth')
        return self.application(environ, start_response)


def keystone(application, conf):
    """auth_token configured from ``[keystone_authtoken]`` of ``conf``."""
    return auth_token.AuthProtocol(application, {'oslo_config_config': conf})


def wrap(application, conf, auth_middleware=None):
    """The application behind the configured authentication.

    :param auth_middleware: a callable taking and returning a WSGI
        application, used instead of ``[api] auth_strategy``
    """
    if auth_middleware is not None:
        authenticated = auth_middleware(application)
    elif conf.api.auth_strategy == 'noauth':
        LOG.warning('*** [api] auth_strategy = noauth: the API does not '
                    'authenticate anyone and every caller is an '
                    'administrator of every project. Use this only on a '
                    'single machine for evaluation, never where others '
                    'can reach the port. ***')
        authenticated = NoAuthMiddleware(application)
    else:
        authenticated = keystone(application, conf)
    return PublicRoutes(application, authenticated,
                        networks(conf.api.metrics_allowed_cidrs))
