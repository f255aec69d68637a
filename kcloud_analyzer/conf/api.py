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

from kcloud_analyzer import conf as kconf

GROUP = cfg.OptGroup('api', title='API service options')

opts = [
    cfg.HostAddressOpt('host',
                       default='127.0.0.1',
                       help='Address the API service binds to.'),
    cfg.PortOpt('port',
                default=8080,
                help='Port the API service listens on.'),
    cfg.StrOpt('auth_strategy',
               default='keystone',
               choices=[('keystone', 'Validate Keystone tokens with '
                                     'keystonemiddleware auth_token.'),
                        ('noauth', 'No authentication: every request is an '
                                   'admin. Only for the embedded '
                                   'single-machine default.')],
               help='How API requests are authenticated.'),
    cfg.ListOpt('metrics_allowed_cidrs',
                default=['127.0.0.0/8', '::1/128'],
                item_type=cfg.types.String(),
                help='Networks (CIDR) from which GET /metrics answers '
                     'without a token, for Prometheus. From anywhere else, '
                     'with auth_strategy = keystone, a token that the '
                     'kcloud-analyzer:prometheus:get policy allows is '
                     'needed. Behind a proxy the address is the one '
                     'oslo.middleware\'s http_proxy_to_wsgi gives '
                     '([oslo_middleware] enable_proxy_headers_parsing).'),
]


def register_opts(conf):
    kconf.register_group_opts(conf, GROUP, opts)


def list_opts():
    return {GROUP: opts}


server_opts = [
    cfg.IntOpt('server_threads',
               default=16, min=1,
               help='Threads of the built-in HTTP server of '
                    'kcloud-analyzer-api, each handling one request at a '
                    'time. Under uWSGI or another WSGI server, that '
                    'server\'s own settings apply instead.'),
    cfg.IntOpt('workers',
               default=1, min=1,
               help='Processes of the built-in HTTP server of '
                    'kcloud-analyzer-api, sharing the port (Python runs '
                    'one request at a time per process: use about one '
                    'per CPU core).'),
]
opts.extend(server_opts)
