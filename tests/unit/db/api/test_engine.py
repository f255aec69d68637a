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
"""The store's configuration: public enginefacade API, run once."""

from unittest import mock

from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
import pytest
from sqlalchemy import exc as sa_exc

from kcloud_analyzer.common import exception
from kcloud_analyzer.db.api import engine
from tests import fixtures


@pytest.fixture
def fresh_engine_module():
    """engine.configure on a context of its own, not yet configured."""
    context = enginefacade.transaction_context()
    called = engine.configure.called
    engine.configure.called = False
    with mock.patch.object(engine, 'main_context_manager', context):
        yield context
    engine.configure.called = called
    if context.is_started:
        context.writer.get_engine().dispose()


def test_configure_runs_once(fresh_engine_module, tmp_path, caplog):
    conf = fixtures.make_conf(str(tmp_path))
    first = 'sqlite:///%s' % (tmp_path / 'first.sqlite')
    conf.set_override('connection', first, group='database')
    engine.configure(conf)
    assert str(fresh_engine_module.writer.get_engine().url) == first
    conf.set_override('connection', 'sqlite:///%s' % (
        tmp_path / 'second.sqlite'), group='database')
    assert engine.configure(conf) is None
    assert 'The database is already configured; not reconfiguring.' in \
        caplog.text
    assert str(fresh_engine_module.writer.get_engine().url) == first


def test_options_enginefacade_does_not_take_are_left_out(tmp_path):
    conf = fixtures.make_conf(str(tmp_path))
    options = engine.database_options(conf)
    assert 'connection' in options
    assert not set(options) & set(engine._UNSUPPORTED_DB_OPTIONS)


@pytest.mark.parametrize('error', [
    db_exc.DBConnectionError('refused'),
    db_exc.DBDeadlock('deadlock'),
    exception.MessagesAlreadyRecorded(recorded=1, total=2, by=''),
    sa_exc.OperationalError('SELECT 1', {}, Exception('locked')),
])
def test_errors_that_go_away_are_retryable(error):
    assert isinstance(error, engine.RETRYABLE_ERRORS)


@pytest.mark.parametrize('error', [
    db_exc.DBDataError('value too long'),
    db_exc.DBDuplicateEntry(),
    exception.WorkloadExists(workload_id='w'),
    ValueError('bad row'),
])
def test_errors_that_would_fail_again_are_not(error):
    assert not isinstance(error, engine.RETRYABLE_ERRORS)
