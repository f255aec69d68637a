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
"""The kcloud-analyzer REST client for Horizon's views.

A client is made per request from the signed-in user's Keystone token, so
the API applies that user's project scope and policy. The endpoint is the
``workload-analyzer`` service of the user's catalog in the user's region,
or the ``KCLOUD_ANALYZER_URL`` setting where a deployment names it.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from openstack_dashboard.api import base

from kcloud_analyzerclient import client as rest_client

SERVICE_TYPE = 'workload-analyzer'


def _override():
    return getattr(settings, 'KCLOUD_ANALYZER_URL', None)


def endpoint(request):
    """The API's base URL for this request's user and region."""
    return _override() or base.url_for(request, SERVICE_TYPE)


def is_available(request):
    return bool(_override()) or base.is_service_enabled(request,
                                                        SERVICE_TYPE)


def _error_detail(response):
    try:
        return '; '.join(e.get('detail') or e.get('title')
                         for e in response.json()['errors'])
    except (ValueError, KeyError, TypeError):
        return response.reason


class _HorizonSession:
    """A keystoneauth session whose failures are Horizon's exceptions.

    ``horizon.exceptions.handle()`` knows what to show (or whether to sign
    the user out) only for the exceptions Horizon recognises, so the API's
    answers are translated here, before the client sees them.
    """

    def __init__(self, session):
        self._session = session

    def request(self, url, method, **kwargs):
        try:
            response = self._session.request(url, method, **kwargs)
        except ks_exceptions.ConnectionError as error:
            raise exceptions.NotAvailable(
                _('The workload analyzer cannot be reached: %s') % error)
        if response.status_code == 401:
            raise exceptions.NotAuthorized(_error_detail(response))
        if response.status_code >= 400:
            raise exceptions.NotAvailable(
                'HTTP %d: %s' % (response.status_code,
                                 _error_detail(response)))
        return response


def client(request):
    """A :class:`kcloud_analyzerclient.client.Client` acting as the user."""
    url = endpoint(request)
    verify = (False if settings.OPENSTACK_SSL_NO_VERIFY
              else settings.OPENSTACK_SSL_CACERT or True)
    session = ks_session.Session(
        auth=token_endpoint.Token(url, request.user.token.id),
        verify=verify)
    return rest_client.Client(_HorizonSession(session), url)
