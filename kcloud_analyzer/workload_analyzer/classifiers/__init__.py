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
"""Loading of the workload classifier plugins."""

from oslo_log import log
from stevedore import driver

from kcloud_analyzer.workload_analyzer.classifiers import base

LOG = log.getLogger(__name__)

NAMESPACE = 'kcloud_analyzer.classifiers'
FALLBACK = 'rules'


def _raise(manager, entrypoint, exception):
    raise exception


def _load(conf, name):
    manager = driver.DriverManager(
        NAMESPACE, name, invoke_on_load=True, invoke_args=(conf,),
        on_load_failure_callback=_raise)
    return manager.driver


def get_classifier(conf, name=None):
    """Return the classifier plugin ``name`` (default: the configured one).

    When the plugin's model cannot be used (missing or corrupt file) the
    rules classifier is returned instead and a warning says why, so that
    classification keeps working before the first training.
    """
    name = name or conf.workload_classifier.type
    try:
        return _load(conf, name)
    except base.ModelUnavailable as exc:
        if name == FALLBACK:
            raise
        reason = str(exc)
    LOG.warning('Classifier %(name)s is unavailable (%(reason)s); using the '
                '%(fallback)s classifier instead.',
                {'name': name, 'reason': reason, 'fallback': FALLBACK})
    return _load(conf, FALLBACK)
