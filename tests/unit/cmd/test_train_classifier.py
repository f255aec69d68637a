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
"""kcloud-analyzer-train-classifier, run in-process on a small training
set."""

import datetime

from kcloud_analyzer.cmd import train_classifier
from kcloud_analyzer.common import context
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import migration
from kcloud_analyzer import service
from kcloud_analyzer.workload_analyzer.classifiers import random_forest

from tests import fixtures


def _config(tmp_path):
    config = tmp_path / 'train.conf'
    config.write_text(
        '[DEFAULT]\nstate_path = %s\nuse_stderr = true\n'
        '[database]\nconnection = sqlite:///%s/kcloud.sqlite\n'
        % (tmp_path, tmp_path))
    return ['--config-file', str(config), '--synthetic-per-class', '15',
            '--zeus-runs', '15', '--alibaba-pods', '6', '--folds', '2',
            '--trees', '10']


def test_main_writes_a_versioned_model_and_metadata(tmp_path, capsys):
    argv = _config(tmp_path)
    conf = service.prepare_service(argv[:2], default_config_files=[])
    fixtures.use_store(conf)
    migration.upgrade()
    admin = context.get_admin_context()
    db_api.model_version_create(admin, {
        'name': random_forest.MODEL_NAME, 'version': 1,
        'trained_at': datetime.datetime(2026, 1, 1), 'metrics': {},
        'file': 'elsewhere', 'data': {}})
    assert train_classifier.main(argv) == 0
    output = capsys.readouterr().out
    assert 'Accuracy per source' in output
    assert 'model workload_classifier version 2' in output
    assert (tmp_path / 'models' / 'workload_classifier-v2.skops').is_file()
    record = db_api.model_version_get_latest(admin,
                                             random_forest.MODEL_NAME)
    assert record['version'] == 2
    assert record['file'].endswith('workload_classifier-v2.skops')
    assert 'per_source' in record['metrics']['random_forest']
    assert record['data']['workloads']['zeus'] == {'training': 15}
    bundle = random_forest.load(record['file'])
    assert bundle['feature_names'][0] == 'accel_util_mean'


def test_main_without_a_schema_still_reports(tmp_path, capsys):
    reset = fixtures.unconfigured_store()
    try:
        assert train_classifier.main(_config(tmp_path)) == 1
    finally:
        reset()
    captured = capsys.readouterr()
    assert 'Accuracy per source' in captured.out
    assert 'kcloud-analyzer-dbsync' in captured.err
    assert not (tmp_path / 'models').exists() or not any(
        (tmp_path / 'models').iterdir())
