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
    'prometheus_collector',
    title='Prometheus collector options',
    help='The prometheus collector reads accelerator exporters (NVIDIA '
         'DCGM, Huawei Ascend npu-exporter, FuriosaAI and Rebellions '
         'metrics exporters) through the Prometheus HTTP API. Since a '
         'host cannot see a GPU passed through to a guest, the exporters '
         'usually run inside the guests; the series are joined to the '
         'instances by a label that carries the Nova instance UUID.')

opts = [
    cfg.URIOpt('url',
               default='http://127.0.0.1:9090',
               schemes=['http', 'https'],
               help='Base URL of the Prometheus server.'),
    cfg.StrOpt('instance_label',
               default='instance_uuid',
               help='Label holding the Nova instance UUID of a series '
                    '(added by relabelling in the scrape configuration).'),
    cfg.ListOpt('device_labels',
                default=['gpu', 'UUID', 'uuid', 'device', 'id', 'npu',
                         'core'],
                help='Labels that tell the devices of one instance apart, '
                     'in order of preference. Utilisation is averaged over '
                     'devices and power summed.'),
    cfg.StrOpt('rate_window',
               default='5m',
               help='Range over which counters (energy) are turned into '
                    'rates with PromQL rate(); at least two scrape '
                    'intervals.'),
    cfg.FloatOpt('timeout',
                 default=10.0,
                 help='Seconds to wait for a Prometheus query.'),
    cfg.BoolOpt('verify',
                default=True,
                help='Verify the TLS certificate of an https URL.'),
    cfg.StrOpt('ca_file',
               help='CA bundle to verify the Prometheus certificate with.'),
]


def register_opts(conf):
    kconf.register_group_opts(conf, GROUP, opts)


def list_opts():
    return {GROUP: opts}
