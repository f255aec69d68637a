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
"""Policy in code: one module per resource, rules named
``kcloud-analyzer:<resource>:<action>``.
"""

import itertools
import time

from oslo_config import cfg
from oslo_policy import policy

from kcloud_analyzer.policies import analysis
from kcloud_analyzer.policies import base
from kcloud_analyzer.policies import cost
from kcloud_analyzer.policies import metric
from kcloud_analyzer.policies import prediction
from kcloud_analyzer.policies import rate
from kcloud_analyzer.policies import recommendation
from kcloud_analyzer.policies import workload

_RESOURCES = (base, analysis, cost, metric, prediction, rate,
              recommendation, workload)


#: how long an enforcer goes without looking for a changed policy file
RELOAD_CHECK_SECONDS = 1.0


class Enforcer(policy.Enforcer):
    """oslo.policy's enforcer, looking at the policy file and folders for
    changes at most once every :data:`RELOAD_CHECK_SECONDS`.

    oslo.policy looks for them at every check: about twenty ``stat``
    calls through the configuration's search folders, twice a request of
    the API. An edited policy file still takes effect without a restart,
    within a second.
    """

    def __init__(self, *args, **kwargs):
        self._checked = None
        super().__init__(*args, **kwargs)

    def load_rules(self, force_reload=False):
        now = time.monotonic()
        # Rules registered since the last look are loaded at once.
        if (not force_reload and self.rules and self._checked is not None
                and self._checked[1] == len(self.registered_rules)
                and now - self._checked[0] < RELOAD_CHECK_SECONDS):
            return
        super().load_rules(force_reload)
        self._checked = (now, len(self.registered_rules))

    def clear(self):
        super().clear()
        self._checked = None


def list_rules():
    """Every default rule; the ``oslo.policy.policies`` entry point."""
    return list(itertools.chain.from_iterable(
        module.list_rules() for module in _RESOURCES))


def make_enforcer(conf, any_admin_all_projects=False):
    """An enforcer on ``conf`` that knows every default rule.

    Operators override rules in ``[oslo_policy] policy_file``; rules they
    do not mention keep the defaults registered here.

    :param any_admin_all_projects: default ``admin_all_projects`` to
        ``role:admin`` (the API without authentication, where every caller
        is an administrator of every project, though not system-scoped)
    """
    rules = list_rules()
    if any_admin_all_projects:
        rules = [policy.RuleDefault(rule.name, 'role:admin',
                                    description=rule.description)
                 if rule.name == 'admin_all_projects' else rule
                 for rule in rules]
    enforcer = Enforcer(conf)
    enforcer.register_defaults(rules)
    return enforcer


def get_enforcer():
    """The ``oslo.policy.enforcer`` entry point for the oslopolicy tools.

    Those tools own the command line, so the service's configuration is
    read from its default files only.
    """
    conf = cfg.ConfigOpts()
    conf([], project='kcloud-analyzer')
    return make_enforcer(conf)


def authorize(enforcer, rule, context, target=None):
    """Raise ``oslo_policy.policy.PolicyNotAuthorized`` unless allowed.

    The default target is the caller's own project, which is what the
    project-scoped rules compare ``%(project_id)s`` against.
    """
    if target is None:
        target = {'project_id': context.project_id}
    return enforcer.authorize(rule, target, context, do_raise=True)
