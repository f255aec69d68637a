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
import datetime

from oslo_upgradecheck import upgradecheck
import pytest

from kcloud_analyzer.cmd import status
from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.db import api as db_api
from tests import fixtures


@pytest.fixture
def conf():
    conf_fixture = fixtures.ConfFixture()
    conf_fixture.setUp()
    yield conf_fixture.conf
    conf_fixture.cleanUp()


def test_empty_database_fails_the_schema_check(conf):
    conf.set_override('connection', 'sqlite:///%s/empty.sqlite'
                      % conf.state_path, group='database')
    reset = fixtures.use_store(conf)
    try:
        result = status.Checks(conf)._check_schema()
    finally:
        reset()
    assert result.code == upgradecheck.Code.FAILURE
    assert 'kcloud-analyzer-dbsync' in result.details


def test_current_schema_and_model(conf):
    database = fixtures.Database(conf)
    database.setUp()
    try:
        checks = status.Checks(conf)
        assert checks._check_schema().code == upgradecheck.Code.SUCCESS
        assert checks._check_classifier_model().code == \
            upgradecheck.Code.WARNING
        db_api.model_version_create(kcontext.get_admin_context(), {
            'name': 'random_forest', 'version': 1,
            'trained_at': datetime.datetime(2026, 11, 1), 'metrics': {},
            'file': 'rf.skops', 'data': {}})
        assert checks._check_classifier_model().code == \
            upgradecheck.Code.SUCCESS
        conf.set_override('type', 'rules', group='workload_classifier')
        assert checks.check() == upgradecheck.Code.SUCCESS
    finally:
        database.cleanUp()
