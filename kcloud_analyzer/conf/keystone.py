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
from oslo_config import cfg
from keystoneauth1 import loading as ks_loading

SERVICE_CREDENTIALS = 'service_credentials'
AUTHTOKEN = 'keystone_authtoken'

_CREDENTIALS_HELP = (
    'Credentials the agent uses to call other OpenStack services (Gnocchi, '
    'Nova). The OPENSTACK_AUTH_URL environment variable sets auth_url.')


def _password_plugin_opts():
    return ks_loading.get_auth_plugin_conf_options('password')


def register_opts(conf):
    group = cfg.OptGroup(SERVICE_CREDENTIALS, help=_CREDENTIALS_HELP)
    conf.register_group(group)
    ks_loading.register_session_conf_options(conf, SERVICE_CREDENTIALS)
    ks_loading.register_auth_conf_options(conf, SERVICE_CREDENTIALS)
    conf.set_default('auth_type', 'password', group=SERVICE_CREDENTIALS)
    # auth_token registers its own options when the API builds it; they
    # are registered here too so that OPENSTACK_AUTH_URL can be applied
    # before the middleware exists.
    from keystonemiddleware.auth_token import _opts as authtoken_opts
    for name, opts in authtoken_opts.list_opts():
        conf.register_opts(opts, group=name)
    ks_loading.register_auth_conf_options(conf, AUTHTOKEN)


def register_password_opts(conf, group):
    """Register the password plugin's options (auth_url, username, ...).

    keystoneauth registers them itself when it loads the plugin; they are
    registered earlier only where a value must be set before that.
    """
    conf.register_opts(_password_plugin_opts(), group=group)


def list_opts():
    return {
        cfg.OptGroup(SERVICE_CREDENTIALS, help=_CREDENTIALS_HELP): (
            ks_loading.get_session_conf_options()
            + ks_loading.get_auth_common_conf_options()
            + _password_plugin_opts()),
    }
