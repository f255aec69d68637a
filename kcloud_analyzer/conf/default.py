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

from kcloud_analyzer.conf import types

opts = [
    cfg.StrOpt('state_path',
               default='/var/lib/kcloud-analyzer',
               help='Top-level directory for the state the services keep on '
                    'disk (the embedded SQLite database, trained models).'),
    cfg.StrOpt('models_dir',
               default='$state_path/models',
               help='Directory holding the trained model files. Each file '
                    'is versioned; its metadata (version, training time, '
                    'scores, data used) is stored in the database.'),
    cfg.IntOpt('collection_interval',
               default=30,
               min=1,
               help='Seconds between two polls of the enabled collectors. '
                    'Also the expected spacing of notification samples.'),
    cfg.IntOpt('metrics_retention_days',
               default=90,
               min=1,
               help='Days of usage rollups kept in the database; older '
                    'windows are purged by the agent.'),
    cfg.Opt('rollup_full_resolution_age',
            type=types.Duration(min=0),
            default='8d',
            help='Age after which usage rollups are replaced by hourly '
                 'rollups (count-weighted mean, min, max and summed count '
                 'per workload, metric and hour), by the agent at every '
                 '[agent] purge_interval and by kcloud-analyzer-manage '
                 'rollups downsample. Hours not priced yet are never '
                 'downsampled. The default keeps the 7 days that '
                 'recommendations and profiles read at full resolution. '
                 '0 never downsamples. Accepts seconds or a number '
                 'followed by s, m, h or d.'),
    cfg.Opt('rollup_window',
            type=types.Duration(min=1),
            default='5m',
            help='Width of the windows that raw samples are folded into '
                 '(mean, min, max and count per workload and metric). '
                 'Accepts seconds or a number followed by s, m, h or d.'),
]


def register_opts(conf):
    conf.register_opts(opts)


def list_opts():
    return {'DEFAULT': opts}
