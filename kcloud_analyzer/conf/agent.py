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
from kcloud_analyzer.conf import types

GROUP = cfg.OptGroup(
    'agent',
    title='Agent options',
    help='Scheduling of the kcloud-analyzer-agent\'s own tasks. Polling '
         'runs every [DEFAULT] collection_interval; model retraining '
         'follows each model\'s retrain_interval.')

opts = [
    cfg.StrOpt('member_id',
               help='Prefix of this agent\'s name in the coordination '
                    'group (default: the host name). A random suffix is '
                    'added at every start, so that a worker process '
                    'respawned after a crash never takes the name of its '
                    'dead predecessor.'),
    cfg.StrOpt('coordination_group',
               default='kcloud-analyzer-agents',
               help='tooz group the agents join; polling targets are split '
                    'over its live members with a consistent hash ring.'),
    cfg.Opt('analysis_interval',
            type=types.Duration(min=1),
            default='1h',
            help='How often workload profiles, classes and costs are '
                 'brought up to date from the rollups. Each agent '
                 'analyses the workloads the hash ring gives it; a run '
                 'prices only the hours not priced yet.'),
    cfg.Opt('recommendation_interval',
            type=types.Duration(min=0),
            default='6h',
            help='How often an agent also refreshes the recommendations '
                 'of its workloads at an analysis run: that reads a week '
                 'of rollups, where pricing the new hours reads only '
                 'those hours. 0 refreshes them at every run. The first '
                 'run after a start refreshes them.'),
    cfg.BoolOpt('analysis_process',
                default=True,
                help='Run every analysis run and every retraining in a '
                     'process of its own, started for that run with the '
                     'agent\'s configuration files, so that the worker '
                     'that stores the notifications never loads the '
                     'analytics libraries (scikit-learn, statsmodels, '
                     'SciPy: about 100 MB) nor holds the memory of a run, '
                     'and a run that fails or is killed leaves the ingest '
                     'running. Options set other than in those files '
                     '(overrides made in code) do not reach that process; '
                     'false runs the jobs in the worker\'s analysis '
                     'thread.'),
    cfg.BoolOpt('retraining_malloc_tuning',
                default=True,
                help='Start the retraining processes (with '
                     'analysis_process) with glibc\'s allocator set to give '
                     'their memory back: one arena (MALLOC_ARENA_MAX=1), so '
                     'that the threads fitting a forest do not each grow a '
                     'heap of their own, and a fixed mmap threshold of 1 '
                     'MiB (MALLOC_MMAP_THRESHOLD_=1048576), so that the '
                     'larger arrays of a retraining are returned to the '
                     'system when freed instead of staying in a heap that '
                     'later, smaller ones fragment. A value the agent\'s '
                     'own environment gives either variable is kept. '
                     'Lowers the peak of the classifier\'s retraining by '
                     'about 35 MB; only glibc reads these variables. The '
                     'analysis runs keep glibc\'s defaults, under which '
                     'they are faster.'),
    cfg.Opt('purge_interval',
            type=types.Duration(min=1),
            default='1h',
            help='How often rollups older than [DEFAULT] '
                 'metrics_retention_days are deleted.'),
    cfg.Opt('max_backfill',
            type=types.Duration(min=0),
            default='1h',
            help='How far back an agent polls the interval slots of a '
                 'target that nobody polled (its agent died, or every '
                 'agent was down), from the last stored poll of that '
                 'target, for the collectors whose source keeps history '
                 '(prometheus). Each slot is polled at most once per '
                 'target and its samples are counted once, whoever polls '
                 'it. 0 polls the current slot only.'),
    cfg.PortOpt('metrics_port',
                default=9666,
                help='Port on which the agent serves its Prometheus metrics '
                     '(samples received, stored, malformed and '
                     'dead-lettered, lag behind the broker, task durations, '
                     'ring members) at /metrics. 0 serves none.'),
    cfg.HostAddressOpt('metrics_host',
                       default='::',
                       help='Address the agent\'s metrics server binds to '
                            '(:: is every IPv6 and IPv4 address).'),
]


def register_opts(conf):
    kconf.register_group_opts(conf, GROUP, opts)


def list_opts():
    return {GROUP: opts}
