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

GROUP = cfg.OptGroup(
    'collector',
    title='Collection options',
    help='Which collectors the agent polls.')

opts = [
    cfg.ListOpt('enabled',
                default=[],
                help='Collector plugins to poll, by their names in the '
                     'kcloud_analyzer.collectors namespace (gnocchi, '
                     'prometheus, ipmi, replay). Notifications from the bus '
                     'are always consumed.'),
]


def register_opts(conf):
    kconf.register_group_opts(conf, GROUP, opts)


def list_opts():
    return {GROUP: opts}
