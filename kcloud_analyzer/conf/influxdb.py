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
    'influxdb',
    title='InfluxDB output options',
    help='Rollups can also be written to InfluxDB as line protocol.')

opts = [
    cfg.URIOpt('url',
               schemes=['http', 'https'],
               help='Base URL of an InfluxDB server (e.g. '
                    'http://influxdb:8086). When unset, nothing is written '
                    'to InfluxDB. The INFLUX_HOST environment variable sets '
                    'it to http://<INFLUX_HOST>:8086.'),
    cfg.StrOpt('database',
               default='kcloud_analyzer',
               help='InfluxDB 1.x database the rollups are written to (the '
                    'bucket of InfluxDB 2.x when [influxdb] bucket is '
                    'unset).'),
    cfg.StrOpt('token',
               secret=True,
               help='InfluxDB 2.x API token. When set, rollups are written '
                    'through the InfluxDB 2 write API (/api/v2/write) to '
                    '[influxdb] org and bucket; when unset, through the '
                    '1.x /write endpoint to [influxdb] database.'),
    cfg.StrOpt('org',
               help='InfluxDB 2.x organization (name or ID) of the bucket; '
                    'required with a token.'),
    cfg.StrOpt('bucket',
               help='InfluxDB 2.x bucket; defaults to [influxdb] database.'),
]


def register_opts(conf):
    kconf.register_group_opts(conf, GROUP, opts)


def list_opts():
    return {GROUP: opts}
