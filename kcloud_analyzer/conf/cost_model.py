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
    'cost_model',
    title='Cost model options',
    help='How costs are rated and predicted.')

opts = [
    cfg.StrOpt('type',
               default='linear_regression',
               help='Cost prediction plugin, by its name in the '
                    'kcloud_analyzer.cost_models namespace '
                    '(linear_regression, rate_card).'),
    cfg.Opt('retrain_interval',
            type=types.Duration(min=60),
            default='24h',
            help='How often the agent refits the cost prediction model. '
                 'Accepts seconds or a number followed by s, m, h or d.'),
    cfg.Opt('training_window',
            type=types.Duration(min=3600),
            default='30d',
            help='How far back the cost prediction model is fitted, by '
                 'the agent and by kcloud-analyzer-train-cost-model: the '
                 'workload-hours of the rollups of this window, priced '
                 'with the current rate card. Accepts seconds or a number '
                 'followed by s, m, h or d.'),
    cfg.IntOpt('training_hours',
               default=50000,
               min=100,
               help='Most workload-hours the cost prediction model is '
                    'fitted on. When the training window holds more, a '
                    'uniform random sample of this many is kept while the '
                    'window is priced a batch of workloads at a time, so '
                    'the memory of a retraining does not grow with the '
                    'fleet (it grows by about 1 kB per workload-hour '
                    'kept).'),
    cfg.StrOpt('rate_card_file',
               help='Path of the rate card (YAML or JSON) with prices per '
                    'vCPU-hour, GB-hour, accelerator-hour, storage, network '
                    'and electricity. When unset, the example rate card '
                    'shipped in the package is used.'),
    cfg.Opt('efficacy_window',
            type=types.Duration(min=3600),
            default='24h',
            help='Hours compared on each side of a change that applied a '
                 'recommendation (an instance resized, deleted or its '
                 'accelerators released) to record the saving it realised. '
                 'The realised figure is recorded once this long after the '
                 'hour of the change. A longer window averages out daily '
                 'cycles and bursts; a shorter one reports sooner. Accepts '
                 'seconds or a number followed by s, m, h or d; counted in '
                 'whole hours (rounded down).'),
]


def register_opts(conf):
    kconf.register_group_opts(conf, GROUP, opts)


def list_opts():
    return {GROUP: opts}
