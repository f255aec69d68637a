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
"""kcloud-analyzer-status upgrade check: is this deployment ready to run
the installed code?"""

import sys

from oslo_config import cfg
from oslo_upgradecheck import common_checks
from oslo_upgradecheck import upgradecheck

from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from kcloud_analyzer import service


class Checks(upgradecheck.UpgradeCommands):

    def __init__(self, conf):
        self.conf = conf
        self._store_configured = False
        self._upgrade_checks = (
            ('Database schema', Checks._check_schema),
            ('Workload classifier model', Checks._check_classifier_model),
            ('Policy File JSON to YAML Migration',
             (common_checks.check_policy_json, {'conf': conf})),
        )

    def _configure_store(self):
        # Both checks read the store; enginefacade is configured once.
        if not self._store_configured:
            db_api.configure(self.conf)
            self._store_configured = True

    def _check_schema(self):
        self._configure_store()
        current, head = migration.version(), migration.head()
        if current == head:
            return upgradecheck.Result(upgradecheck.Code.SUCCESS)
        return upgradecheck.Result(
            upgradecheck.Code.FAILURE,
            'The database schema is at revision %s; this code needs %s. '
            'Run kcloud-analyzer-dbsync.' % (current or 'empty', head))

    def _check_classifier_model(self):
        if self.conf.workload_classifier.type != 'random_forest':
            return upgradecheck.Result(upgradecheck.Code.SUCCESS)
        self._configure_store()
        if migration.version() != migration.head():
            return upgradecheck.Result(
                upgradecheck.Code.WARNING,
                'Not checked: the database schema is not current.')
        latest = db_api.model_version_get_latest(
            kcontext.get_admin_context(), 'random_forest')
        if latest is None:
            return upgradecheck.Result(
                upgradecheck.Code.WARNING,
                'No trained random_forest classifier is recorded: workloads '
                'are classified by the rules classifier until '
                'kcloud-analyzer-train-classifier has run.')
        return upgradecheck.Result(upgradecheck.Code.SUCCESS)


def main(argv=None):
    conf = cfg.ConfigOpts()
    service.register_all(conf)
    return upgradecheck.main(
        conf, project=service.PROJECT, upgrade_command=Checks(conf),
        argv=sys.argv[1:] if argv is None else argv)


if __name__ == '__main__':
    sys.exit(main())
