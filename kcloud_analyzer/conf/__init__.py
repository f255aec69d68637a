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
"""Configuration options, one module per option group.

Nothing here registers options on a global object: :func:`register_opts`
is called on the ConfigOpts that ``kcloud_analyzer.service.prepare_service``
creates.
"""

import importlib

from oslo_config import cfg

_MODULES = [
    'default',
    'agent',
    'api',
    'collector',
    'coordination',
    'cost_model',
    'gnocchi_collector',
    'influxdb',
    'ipmi_collector',
    'keystone',
    'notification',
    'prometheus_collector',
    'replay_collector',
    'workload_classifier',
]


def modules():
    return [importlib.import_module('kcloud_analyzer.conf.%s' % name)
            for name in _MODULES]


def register_opts(conf):
    for module in modules():
        module.register_opts(conf)


def register_group_opts(conf, group, opts):
    """Register ``opts`` under a copy of ``group`` that only ``conf`` uses.

    oslo.config keeps a registered group's options, and the overrides set
    on them, in a shallow copy of the OptGroup: registering one
    module-level OptGroup on several ConfigOpts would share overrides
    between them.
    """
    conf.register_group(cfg.OptGroup(group.name, title=group.title,
                                      help=group.help))
    conf.register_opts(opts, group=group.name)
