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
"""Pecan hooks: what every request carries, and how errors leave."""

from pecan import hooks

from kcloud_analyzer.api import errors
from kcloud_analyzer.api import microversion
from kcloud_analyzer.common import context


class ServiceHook(hooks.PecanHook):
    """Hand the service's configuration and shared objects to controllers.

    There is no global configuration: the objects built once by
    :func:`kcloud_analyzer.api.app.setup_app` travel on the request.
    """

    def __init__(self, conf, enforcer, services):
        self.conf = conf
        self.enforcer = enforcer
        self.services = services

    def before(self, state):
        state.request.conf = self.conf
        state.request.enforcer = self.enforcer
        state.request.services = self.services


class ContextHook(hooks.PecanHook):
    """Build the request context from the headers auth_token sets."""

    def before(self, state):
        environ = state.request.environ
        state.request.context = context.RequestContext.from_environ(environ)
        state.request.version = environ.get(microversion.ENVIRON_KEY,
                                            microversion.MIN_VERSION)


class ErrorHook(hooks.PecanHook):
    """Turn whatever a controller raised into an API-SIG error body."""

    def on_error(self, state, error):
        return errors.response_for(
            error, state.request.environ.get('openstack.request_id'))
