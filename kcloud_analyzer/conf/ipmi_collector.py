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
    'ipmi_collector',
    title='IPMI collector options',
    help='The ipmi collector reads host power from BMCs over IPMI (LAN+): '
         'the DCMI power reading, and the power sensors of the sensor '
         'repository when a BMC does not implement DCMI.')

opts = [
    cfg.StrOpt('bmcs_file',
               default='/etc/kcloud-analyzer/bmcs.yaml',
               help='YAML file listing the BMCs: a list of mappings with '
                    'name, address, port (623), username, password and '
                    'instances (the UUIDs of the instances running on that '
                    'host; the host power is split evenly between them, or '
                    'recorded under the BMC name when the list is empty). '
                    'Keep it readable by the agent only.'),
    cfg.FloatOpt('timeout',
                 default=10.0,
                 help='Seconds to wait for one BMC.'),
    cfg.BoolOpt('read_sensors',
                default=True,
                help='Also read the power sensors of the sensor data '
                     'repository when the DCMI power reading fails.'),
]


def register_opts(conf):
    kconf.register_group_opts(conf, GROUP, opts)


def list_opts():
    return {GROUP: opts}
