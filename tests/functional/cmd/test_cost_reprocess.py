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
"""``kcloud-analyzer-manage cost reprocess`` as an operator runs it, on
the real PostgreSQL, after a rate card change."""

import pathlib
import re
import subprocess
import sys

import pytest
import yaml

from kcloud_analyzer.common import context
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.db import migration
from tests import fixtures as test_fixtures
from tests.functional.api import fixtures

BIN = pathlib.Path(sys.executable).parent


@pytest.fixture
def store(tmp_path):
    with test_fixtures.provisioned_database('postgresql') as url:
        conf = fixtures.make_conf(url)
        reset = test_fixtures.use_store(conf)
        migration.upgrade()
        fixtures.seed(context.get_admin_context())
        yield url
        reset()


def _reprocess(tmp_path, url, card, *extra):
    config = tmp_path / 'kcloud-analyzer.conf'
    config.write_text('[DEFAULT]\nuse_stderr = true\n[database]\n'
                      'connection = %s\n[cost_model]\nrate_card_file = %s\n'
                      % (url, card))
    result = subprocess.run(
        [str(BIN / 'kcloud-analyzer-manage'), '--config-file', str(config),
         'cost', 'reprocess', '--start', '2026-01-05T00:00:00Z', '--end',
         '2026-01-06T00:00:00Z', *extra],
        capture_output=True, text=True, timeout=120, check=False)
    return result


def _totals(output):
    found = dict(re.findall(r'^(before|after)\s+([\d,.]+)', output, re.M))
    return {k: float(v.replace(',', '')) for k, v in found.items()}


def test_reprocess_after_a_price_change_is_idempotent(tmp_path, store):
    document = yaml.safe_load(
        ratecard.default_rate_card_path().read_text())
    card = tmp_path / 'card.yaml'
    card.write_text(yaml.safe_dump(document))
    first = _reprocess(tmp_path, store, card)
    assert first.returncode == 0, first.stderr
    assert '6 cost records written' in first.stdout
    once = _totals(first.stdout)

    # The GPU price doubles: reprocessing raises the total.
    for spec in document['accelerators'].values():
        spec['hour'] = str(float(spec['hour']) * 2)
    card.write_text(yaml.safe_dump(document))
    second = _reprocess(tmp_path, store, card)
    assert second.returncode == 0, second.stderr
    twice = _totals(second.stdout)
    assert twice['before'] == pytest.approx(once['after'])
    assert twice['after'] > twice['before']

    # Once more with the same card: nothing changes.
    third = _totals(_reprocess(tmp_path, store, card).stdout)
    assert third['before'] == pytest.approx(twice['after'])
    assert third['after'] == pytest.approx(twice['after'])


def test_reprocess_one_project_and_bad_windows(tmp_path, store):
    card = ratecard.default_rate_card_path()
    one = _reprocess(tmp_path, store, card, '--project',
                     fixtures.PROJECT_B)
    assert one.returncode == 0, one.stderr
    assert '2 cost records written' in one.stdout
    config = tmp_path / 'kcloud-analyzer.conf'
    reversed_window = subprocess.run(
        [str(BIN / 'kcloud-analyzer-manage'), '--config-file', str(config),
         'cost', 'reprocess', '--start', '2026-01-06T00:00:00Z', '--end',
         '2026-01-05T00:00:00Z'],
        capture_output=True, text=True, timeout=120, check=False)
    assert reversed_window.returncode == 2
    assert 'is after --end' in reversed_window.stderr
