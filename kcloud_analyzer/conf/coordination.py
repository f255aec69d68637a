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
    'coordination',
    title='Coordination options',
    help='The tooz backend that splits polling work over the live agents '
         'and guards model retraining with a lock.')

opts = [
    cfg.StrOpt('backend_url',
               default='redis://127.0.0.1:6379',
               secret=True,
               help='tooz coordination backend URL (redis://, etcd3+http://, '
                    'zookeeper://, ...). The REDIS_HOST environment variable '
                    'replaces the host of a redis:// URL.'),
    cfg.Opt('heartbeat_interval',
            type=types.Duration(min=1),
            help='How often an agent tells the coordination backend that '
                 'it is alive, and checks who else is. Unset: a quarter of '
                 '[DEFAULT] collection_interval (at least 0.5 s). An agent '
                 'that stops beating leaves the group after two intervals '
                 '(the membership_timeout the agent adds to a backend URL '
                 'that does not set one; honoured by the redis driver), '
                 'and the others take over its targets at once.'),
]


def register_opts(conf):
    kconf.register_group_opts(conf, GROUP, opts)


def list_opts():
    return {GROUP: opts}
