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
"""Collector plugins, loaded by name from ``[collector] enabled``."""

from oslo_log import log as logging
from stevedore import named

LOG = logging.getLogger(__name__)

NAMESPACE = 'kcloud_analyzer.collectors'


def _load_failed(manager, entrypoint, exception):
    LOG.error('Could not load collector %s: %s', entrypoint.name, exception)


def load(conf, names=None):
    """Return the enabled collectors, by name; those that fail to load are
    logged and left out, so one broken plugin does not stop the agent."""
    names = list(conf.collector.enabled if names is None else names)
    if not names:
        return {}
    manager = named.NamedExtensionManager(
        NAMESPACE, names, invoke_on_load=True, invoke_args=(conf,),
        on_load_failure_callback=_load_failed, name_order=True)
    missing = set(names) - set(manager.names())
    if missing:
        LOG.error('Unknown or broken collectors in [collector] enabled: %s',
                  ', '.join(sorted(missing)))
    return {ext.name: ext.obj for ext in manager}
