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

import json
import os

import pytest

from kcloud_analyzer.cmd import train_cost_model
from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.cost_model import models
from kcloud_analyzer.db import api as db_api
from tests import fixtures
from tests.unit.cost_model import cards
from tests.unit.cost_model.models import test_linear_regression as history
from tests.unit.jobs import conftest as jobs_conftest


@pytest.fixture
def store(tmp_path):
    conf_fixture = fixtures.ConfFixture()
    conf_fixture.setUp()
    database = fixtures.Database(conf_fixture.conf)
    database.setUp()
    yield conf_fixture.conf
    database.cleanUp()
    conf_fixture.cleanUp()


@pytest.fixture
def csv_files(tmp_path):
    usage, _ = history._history(hours=48)
    workloads = history.FLEET.copy()
    workloads_path = tmp_path / 'workloads.csv'
    usage_path = tmp_path / 'usage.csv'
    workloads.to_csv(workloads_path, index=False)
    usage.assign(timestamp=usage['timestamp'].dt.strftime(
        '%Y-%m-%dT%H:%M:%SZ')).to_csv(usage_path, index=False)
    card_path = tmp_path / 'card.json'
    card_path.write_text(json.dumps(cards.BASE))
    return str(workloads_path), str(usage_path), str(card_path)


def _main(conf, *args, more=''):
    config = os.path.join(conf.state_path, 'test.conf')
    with open(config, 'w') as stream:
        stream.write(f'[DEFAULT]\nstate_path = {conf.state_path}\n'
                     f'[database]\nconnection = {conf.database.connection}\n'
                     + more)
    return train_cost_model.main(['--config-file', config, *args])


def test_train_from_csv_saves_versions_with_metadata(store, csv_files,
                                                     capsys):
    workloads, usage, card = csv_files
    assert _main(store, '--workloads', workloads, '--usage', usage,
                 '--rates', card) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed['version'] == 1
    assert printed['metrics']['rsquared'] > 0.99
    assert _main(store, '--workloads', workloads, '--usage', usage,
                 '--rates', card) == 0
    context = kcontext.get_admin_context()
    record = db_api.model_version_get_latest(context, models.RECORD_NAME)
    assert record['version'] == 2
    assert record['file'] == os.path.join(
        store.state_path, 'models', 'cost_model-linear_regression-v2.json')
    assert record['data']['plugin'] == 'linear_regression'
    assert record['data']['workloads'] == 6
    assert record['data']['currency'] == 'EUR'
    with open(record['file']) as stream:
        assert json.load(stream)['version'] == 2
    model = models.load_latest(
        models.get_cost_model(store, card=cards.card()), record)
    assert model.version == 2
    assert model.predict(history.FLEET.head(1), 2)[0]['version'] == 2


def test_bad_input_exits_with_status_2(store, csv_files, capsys):
    workloads, usage, _ = csv_files
    assert _main(store, '--workloads', workloads) == 2
    assert 'go together' in capsys.readouterr().err
    assert _main(store, '--workloads', workloads, '--usage',
                 workloads) == 2
    assert 'missing column' in capsys.readouterr().err
    # an empty store has nothing to learn from
    assert _main(store) == 2
    assert 'no usage history' in capsys.readouterr().err


def test_train_from_the_database_window(store, capsys):
    card = os.path.join(store.state_path, 'card.json')
    with open(card, 'w') as stream:
        json.dump(cards.BASE, stream)
    jobs_conftest.add_fleet(kcontext.get_admin_context(), 48)
    # the fleet's history is of March 2026: a year back holds it all
    assert _main(store, '--rates', card, more='[cost_model]\n'
                 'training_window = 365d\ntraining_hours = 100\n') == 0
    out = capsys.readouterr()
    assert 'Training on the database: 100 of 288 workload-hours' in out.err
    printed = json.loads(out.out)
    assert printed['metrics']['nobs'] == 100
    assert printed['data']['workload_hours_in_window'] == 288
    # a window that holds none of it
    assert _main(store, '--rates', card) == 2
    assert 'no usage history in the database' in capsys.readouterr().err
