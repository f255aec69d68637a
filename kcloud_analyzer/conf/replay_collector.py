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
    'replay_collector',
    title='Replay collector options',
    help='The replay collector feeds a recorded trace (the usage.csv and '
         'workloads.csv shapes of the offline commands) through the agent '
         'as if it were being collected now. The embedded default replays '
         'the small trace shipped with the package.')

opts = [
    cfg.StrOpt('usage_file',
               help='usage.csv to replay (workload_id,timestamp,metric,'
                    'value; may be gzip-compressed). Defaults to the '
                    'bundled sample trace.'),
    cfg.StrOpt('workloads_file',
               help='workloads.csv describing the replayed workloads '
                    '(resources, project, declared type). Defaults to the '
                    'bundled sample trace\'s workloads when usage_file is '
                    'unset; when usage_file is set and this is not, '
                    'workloads are known only by their ids.'),
    cfg.FloatOpt('speed',
                 default=60.0,
                 min=0.001,
                 help='Trace seconds replayed per wall-clock second (1 '
                      'replays in real time, 60 replays an hour a '
                      'minute).'),
    cfg.BoolOpt('shift_to_now',
                default=True,
                help='Shift the trace\'s timestamps so that it ends at the '
                     'moment the replay starts: the replay then fills in '
                     'recent history. When false the original timestamps '
                     'are kept.'),
]


def register_opts(conf):
    kconf.register_group_opts(conf, GROUP, opts)


def list_opts():
    return {GROUP: opts}
