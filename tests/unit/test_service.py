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
import pathlib
import subprocess
import sys
import textwrap

from oslo_config import cfg
import pytest

from kcloud_analyzer.common import exception
from kcloud_analyzer import service

SEED_YAML = textwrap.dedent("""\
    analyzer:
      collection_interval: 15
      metrics_retention_days: 30
      models:
        cost_model:
          type: rate_card
          retrain_interval: 30m
        workload_classifier:
          type: rules
          retrain_interval: 90s
    api:
      port: 9999
    """)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ('DB_HOST', 'REDIS_HOST', 'INFLUX_HOST',
                 'OPENSTACK_AUTH_URL'):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _prepare(*argv):
    return service.prepare_service(list(argv), default_config_files=[])


def test_defaults_match_the_seed(in_tmp):
    conf = _prepare()
    assert conf.collection_interval == 30
    assert conf.metrics_retention_days == 90
    assert conf.rollup_window == 300
    assert conf.cost_model.type == 'linear_regression'
    assert conf.cost_model.retrain_interval == 24 * 3600
    assert conf.workload_classifier.type == 'random_forest'
    assert conf.workload_classifier.retrain_interval == 12 * 3600
    assert conf.api.auth_strategy == 'keystone'
    assert conf.models_dir == '/var/lib/kcloud-analyzer/models'


def test_config_yaml_in_the_working_folder_is_read(in_tmp):
    (in_tmp / 'config.yaml').write_text(SEED_YAML)
    conf = _prepare()
    assert conf.collection_interval == 15
    assert conf.metrics_retention_days == 30
    assert conf.cost_model.type == 'rate_card'
    assert conf.cost_model.retrain_interval == 1800
    assert conf.workload_classifier.type == 'rules'
    assert conf.workload_classifier.retrain_interval == 90


def test_ini_file_wins_over_config_yaml(in_tmp):
    (in_tmp / 'config.yaml').write_text(SEED_YAML)
    ini = in_tmp / 'kcloud-analyzer.conf'
    ini.write_text('[DEFAULT]\ncollection_interval = 60\n')
    conf = _prepare('--config-file', str(ini))
    assert conf.collection_interval == 60
    assert conf.api.port == 9999


@pytest.mark.parametrize('document, key', [
    ('analyzer:\n  colection_interval: 30\n', 'analyzer.colection_interval'),
    ('analyzer:\n  models:\n    cost_model:\n      typ: rate_card\n',
     'analyzer.models.cost_model.typ'),
    ('analyzer:\n  models:\n    forecaster: {type: x}\n',
     'analyzer.models.forecaster'),
    ('databse:\n  connection: sqlite://\n', 'databse'),
    ('api:\n  prot: 1\n', 'api.prot'),
])
def test_unknown_key_is_refused_by_name(in_tmp, document, key):
    path = in_tmp / 'config.yaml'
    path.write_text(document)
    with pytest.raises(exception.ConfigInvalid) as info:
        _prepare()
    assert 'unknown key %s' % key in str(info.value)
    assert str(path.name) in str(info.value)


@pytest.mark.parametrize('document, key', [
    ('analyzer:\n  collection_interval: often\n',
     'analyzer.collection_interval'),
    ('analyzer:\n  collection_interval: 0\n', 'analyzer.collection_interval'),
    ('analyzer:\n  models:\n    cost_model:\n      retrain_interval: 1y\n',
     'analyzer.models.cost_model.retrain_interval'),
    ('api:\n  auth_strategy: basic\n', 'api.auth_strategy'),
    ('api:\n  port: {a: 1}\n', 'api.port'),
])
def test_bad_value_is_refused_by_key(in_tmp, document, key):
    (in_tmp / 'config.yaml').write_text(document)
    with pytest.raises(exception.ConfigInvalid) as info:
        _prepare()
    assert key + ':' in str(info.value)


def test_yaml_that_is_not_a_mapping_is_refused(in_tmp):
    (in_tmp / 'config.yaml').write_text('- a\n- b\n')
    with pytest.raises(exception.ConfigInvalid, match='must be a mapping'):
        _prepare()


def test_command_exits_2_with_the_key_on_a_typo(in_tmp, capsys):
    (in_tmp / 'config.yaml').write_text('analyzer:\n  colection_interval: 3\n')
    with pytest.raises(SystemExit) as info:
        service.prepare_command([], default_config_files=[])
    assert info.value.code == 2
    assert 'analyzer.colection_interval' in capsys.readouterr().err


def test_environment_variables(in_tmp, monkeypatch):
    ini = in_tmp / 'kcloud-analyzer.conf'
    ini.write_text('[database]\nconnection = '
                   'postgresql+psycopg2://kc:secret@localhost/kcloud\n')
    monkeypatch.setenv('DB_HOST', 'db.internal:5433')
    monkeypatch.setenv('REDIS_HOST', 'redis.internal')
    monkeypatch.setenv('INFLUX_HOST', 'influx.internal')
    monkeypatch.setenv('OPENSTACK_AUTH_URL', 'http://keystone:5000/v3')
    conf = _prepare('--config-file', str(ini))
    assert conf.database.connection == (
        'postgresql+psycopg2://kc:secret@db.internal:5433/kcloud')
    assert conf.coordination.backend_url == 'redis://redis.internal:6379'
    assert conf.cache.redis_server == 'redis.internal:6379'
    assert conf.influxdb.url == 'http://influx.internal:8086'
    assert conf.service_credentials.auth_url == 'http://keystone:5000/v3'
    assert conf.keystone_authtoken.www_authenticate_uri == (
        'http://keystone:5000/v3')


def test_db_host_with_sqlite_is_refused(in_tmp, monkeypatch):
    monkeypatch.setenv('DB_HOST', 'db.internal')
    with pytest.raises(exception.ConfigInvalid, match='DB_HOST'):
        _prepare()


def test_no_global_conf_is_shared(in_tmp):
    first = _prepare()
    second = _prepare()
    first.set_override('collection_interval', 5)
    assert second.collection_interval == 30


def test_config_example_yaml_is_accepted(in_tmp):
    example = pathlib.Path(__file__).resolve().parents[2] / (
        'config.example.yaml')
    conf = _prepare('--config-yaml', str(example))
    assert conf.cost_model.type == 'linear_regression'
    assert conf.workload_classifier.retrain_interval == 12 * 3600
    assert conf.rollup_window == 300


def test_logs_go_to_stderr_and_services_log_json(in_tmp):
    command = _prepare()
    assert command.use_stderr is True
    assert command.use_json is False
    daemon = service.prepare_service([], default_config_files=[],
                                     log_json=True)
    assert daemon.use_json is True


def test_overrides_in_groups_stay_in_their_conf(in_tmp):
    first = _prepare()
    second = _prepare()
    for group, name, value in (('api', 'port', 9), ('cost_model', 'type',
                                                    'rate_card'),
                               ('collector', 'enabled', ['replay'])):
        first.set_override(name, value, group=group)
        assert getattr(getattr(second, group), name) != value


def test_durable_queues_are_the_default():
    conf = cfg.ConfigOpts()
    service.register_all(conf)
    conf([], project='kcloud-analyzer', default_config_files=[])
    assert conf.oslo_messaging_rabbit.amqp_durable_queues is True


def test_the_broker_sends_at_most_two_batches_ahead(tmp_path):
    from kcloud_analyzer.common import rpc

    config = tmp_path / 'a.conf'
    config.write_text('[notification]\nbatch_size = 70\n')
    conf = cfg.ConfigOpts()
    service.register_all(conf)
    conf(['--config-file', str(config)], project='kcloud-analyzer',
         default_config_files=[])
    rpc.set_prefetch_default(conf)
    assert conf.oslo_messaging_rabbit.rabbit_qos_prefetch_count == 140
    # what the operator sets wins, 0 (no bound) included
    config.write_text('[notification]\nbatch_size = 70\n'
                      '[oslo_messaging_rabbit]\n'
                      'rabbit_qos_prefetch_count = 0\n')
    conf.reload_config_files()
    rpc.set_prefetch_default(conf)
    assert conf.oslo_messaging_rabbit.rabbit_qos_prefetch_count == 0


def test_preparing_a_service_leaves_the_messaging_library_unloaded():
    # importing oslo.messaging picks oslo.service's backend, which the
    # agent's command must pick first
    code = ('import sys; import kcloud_analyzer.service; '
            'import kcloud_analyzer.cmd.agent; '
            'assert "oslo_messaging" not in sys.modules')
    subprocess.run([sys.executable, '-c', code], check=True, timeout=60)


def test_command_reads_the_embedded_default_config(in_tmp, monkeypatch):
    # An offline command run beside `make run` finds the models it trained.
    monkeypatch.delenv(service.EMBEDDED_STATE_ENV, raising=False)
    monkeypatch.setattr(service.cfg, 'find_config_files',
                        lambda **kwargs: [])
    state = in_tmp / 'state'
    state.mkdir()
    (state / 'kcloud-analyzer.conf').write_text(
        '[DEFAULT]\nstate_path = %s\n' % state)
    conf = service.prepare_command([])
    assert conf.models_dir == str(state / 'models')
    monkeypatch.setenv(service.EMBEDDED_STATE_ENV, str(in_tmp / 'elsewhere'))
    assert service.prepare_command([]).models_dir == (
        '/var/lib/kcloud-analyzer/models')
