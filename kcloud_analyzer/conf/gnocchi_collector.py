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
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from kcloud_analyzer import conf as kconf

GROUP = cfg.OptGroup(
    'gnocchi_collector',
    title='Gnocchi collector options',
    help='The gnocchi collector reads the measures Ceilometer stores in '
         'Gnocchi for the instance resources (cpu, memory.usage, vcpus, '
         'memory). It authenticates with the Keystone options of this '
         'group (auth_type, auth_url, username, ...).')

opts = [
    cfg.StrOpt('auth_mode',
               default='keystone',
               choices=[('keystone', 'Keystone session from the auth '
                                     'options of this group'),
                        ('basic', 'Gnocchi basic authentication; only for '
                                  'a Gnocchi without access control')],
               help='How to authenticate to Gnocchi.'),
    cfg.URIOpt('endpoint',
               schemes=['http', 'https'],
               help='Gnocchi URL. Required with basic authentication; with '
                    'Keystone it overrides the catalog.'),
    cfg.StrOpt('basic_user',
               default='kcloud-analyzer',
               help='User name sent with basic authentication.'),
    cfg.StrOpt('resource_type',
               default='instance',
               help='Gnocchi resource type of Nova instances.'),
    cfg.StrOpt('interface',
               default='internal',
               help='Catalog interface of the Gnocchi endpoint.'),
    cfg.StrOpt('region_name',
               help='Region of the Gnocchi endpoint.'),
    cfg.IntOpt('lookback',
               default=3600,
               min=60,
               help='Seconds of measures read for an instance seen for the '
                    'first time (and after a restart); measures already '
                    'stored are recognised and not counted again.'),
]


def register_opts(conf):
    kconf.register_group_opts(conf, GROUP, opts)
    ks_loading.register_session_conf_options(conf, GROUP.name)
    ks_loading.register_auth_conf_options(conf, GROUP.name)


def list_opts():
    return {GROUP: (opts + ks_loading.get_session_conf_options() +
                    ks_loading.get_auth_common_conf_options() +
                    ks_loading.get_auth_plugin_conf_options('password'))}
