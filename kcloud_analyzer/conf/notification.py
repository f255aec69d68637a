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
    'notification',
    title='Notification listener options',
    help='How the agent consumes Ceilometer samples, Ironic sensor data '
         'and Nova instance notifications from the message bus. The bus '
         'itself is set by [oslo_messaging_notifications] transport_url '
         '(or [DEFAULT] transport_url).')

#: notifications handed to the endpoints at once, unless configured
#: (Ceilometer's notification agent's own default)
DEFAULT_BATCH_SIZE = 100

opts = [
    cfg.ListOpt('topics',
                default=['notifications', 'versioned_notifications',
                         'metering'],
                help='Notification topics to listen on: Ironic sends '
                     'hardware.ipmi.metrics, Neutron its floating IP '
                     'changes and Glance its images on "notifications", '
                     'Nova its '
                     'versioned notifications on "versioned_notifications" '
                     'and Ceilometer\'s notifier:// publisher samples on '
                     '"metering".'),
    cfg.ListOpt('exchanges',
                default=['nova', 'ironic', 'neutron', 'glance',
                         'ceilometer', 'openstack'],
                help='Exchanges whose topics are listened to. Every '
                     'OpenStack service publishes its notifications on an '
                     'exchange of its own name (Nova on "nova", Ironic on '
                     '"ironic", Neutron on "neutron", Glance on '
                     '"glance", Ceilometer\'s '
                     'notifier:// publisher on '
                     '"ceilometer"); "openstack" is oslo.messaging\'s '
                     'default, used by services that set none.'),
    cfg.StrOpt('pool',
               default='kcloud-analyzer',
               help='Listener pool name. Every agent uses the same pool so '
                    'that N agents share one queue per topic, named '
                    '<pool>.<topic>, and the pool keeps that queue apart '
                    'from the ones other consumers (Ceilometer, '
                    'Searchlight) read, so nothing is taken from them. '
                    'What the agents refuse goes to <topic>.dlq.'),
    cfg.IntOpt('batch_size',
               default=DEFAULT_BATCH_SIZE,
               min=1,
               help='Notifications handed to the endpoints at once; the '
                    'samples of one batch are stored in one transaction. '
                    'Unless [oslo_messaging_rabbit] '
                    'rabbit_qos_prefetch_count is set, RabbitMQ sends the '
                    'agent at most twice this many notifications it has '
                    'not acknowledged yet, which bounds the memory a '
                    'backlog takes in the agent.'),
    cfg.IntOpt('batch_timeout',
               default=5,
               min=1,
               help='Seconds to wait for a batch to fill before handling '
                    'what arrived.'),
    cfg.StrOpt('telemetry_secret',
               secret=True,
               help='Ceilometer\'s [publisher] telemetry_secret. When set, '
                    'samples whose message_signature does not match are '
                    'dropped and counted.'),
    cfg.ListOpt('npu_aliases',
                default=['ascend910', 'ascend310', 'rngd', 'warboy', 'atom',
                         'rebel'],
                help='PCI aliases (flavor extra spec pci_passthrough:alias) '
                     'that name NPUs; every other alias counts as a GPU.'),
    cfg.StrOpt('workload_metadata_key',
               default='kcloud:workload_id',
               help='Server metadata key that groups instances into one '
                    'workload (a distributed training job). An instance '
                    'without it is a workload of its own.'),
]


def register_opts(conf):
    kconf.register_group_opts(conf, GROUP, opts)


def list_opts():
    return {GROUP: opts}
