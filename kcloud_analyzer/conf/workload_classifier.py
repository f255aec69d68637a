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
    'workload_classifier',
    title='Workload classifier options',
    help='How workloads are classified as training, inference or serving.')

opts = [
    cfg.StrOpt('type',
               default='random_forest',
               help='Classifier plugin, by its name in the '
                    'kcloud_analyzer.classifiers namespace (random_forest, '
                    'rules). When the random_forest model file is missing or '
                    'cannot be loaded, the rules classifier is used and a '
                    'warning is logged.'),
    cfg.Opt('retrain_interval',
            type=types.Duration(min=60),
            default='12h',
            help='How often the agent retrains the classifier. Accepts '
                 'seconds or a number followed by s, m, h or d.'),
    cfg.IntOpt('declared_per_class',
               default=1000,
               min=1,
               help='Most workloads of each type declared by their tenants '
                    'that join the classifier\'s training set when the '
                    'agent retrains it (the public traces and synthetic '
                    'workloads give about a thousand of each type). When '
                    'more declared a type, a uniform random sample of this '
                    'many is taken, so that a retraining\'s memory and '
                    'time do not grow with the fleet.'),
]


def register_opts(conf):
    kconf.register_group_opts(conf, GROUP, opts)


def list_opts():
    return {GROUP: opts}
