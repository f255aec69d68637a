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
"""kcloud-analyzer-dbsync and kcloud-analyzer-manage db, run as the
console scripts an operator runs, on SQLite and on the real PostgreSQL
and MariaDB."""

import pathlib
import subprocess
import sys

import pytest
import sqlalchemy as sa

from kcloud_analyzer.db import migration
from kcloud_analyzer.db import models
from tests import fixtures

BIN = pathlib.Path(sys.executable).parent


def _run(*args):
    return subprocess.run([str(a) for a in args], capture_output=True,
                          text=True, timeout=120, check=False)


def _config(tmp_path, connection):
    path = tmp_path / 'kcloud-analyzer.conf'
    path.write_text('[DEFAULT]\nstate_path = %s\n[database]\n'
                    'connection = %s\n' % (tmp_path / 'state', connection))
    return path


def _assert_schema(url):
    engine = sa.create_engine(url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
        assert set(models.BASE.metadata.tables) <= tables
        assert migration.version(engine) == migration.head()
    finally:
        engine.dispose()


@pytest.fixture(params=['postgresql', 'mysql'])
def server_url(request):
    with fixtures.provisioned_database(request.param) as url:
        yield url


def test_dbsync_creates_the_schema_on_sqlite(tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'state' / 'kcloud.sqlite')
    conf = _config(tmp_path, url)
    result = _run(BIN / 'kcloud-analyzer-dbsync', '--config-file', conf)
    assert result.returncode == 0, result.stderr
    assert 'upgraded from empty' in result.stdout + result.stderr
    _assert_schema(url)
    again = _run(BIN / 'kcloud-analyzer-dbsync', '--config-file', conf)
    assert again.returncode == 0
    assert 'up to date' in again.stdout + again.stderr


def test_dbsync_creates_the_schema_on_a_server(tmp_path, server_url):
    conf = _config(tmp_path, server_url)
    version = _run(BIN / 'kcloud-analyzer-manage', '--config-file', conf,
                   'db', 'version')
    assert (version.returncode, version.stdout.strip()) == (1, 'empty')
    result = _run(BIN / 'kcloud-analyzer-dbsync', '--config-file', conf)
    assert result.returncode == 0, result.stderr
    _assert_schema(server_url)
    version = _run(BIN / 'kcloud-analyzer-manage', '--config-file', conf,
                   'db', 'version')
    assert (version.returncode, version.stdout.strip()) == (
        0, migration.head())


def test_dbsync_refuses_a_seed_config_with_a_typo(tmp_path):
    (tmp_path / 'config.yaml').write_text(
        'analyzer:\n  models:\n    cost_model:\n      tpye: rate_card\n')
    result = subprocess.run(
        [str(BIN / 'kcloud-analyzer-dbsync'), '--config-file',
         str(_config(tmp_path, 'sqlite://'))],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        check=False)
    assert result.returncode == 2
    assert 'unknown key analyzer.models.cost_model.tpye' in result.stderr
    assert 'Traceback' not in result.stderr
