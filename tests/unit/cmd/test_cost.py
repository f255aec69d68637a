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

import numpy as np
from oslo_config import cfg
import pandas as pd
import pytest

from kcloud_analyzer.cmd import cost
from kcloud_analyzer import service
from tests.unit.cost_model import cards

HOURS = 72


def _run(argv, tmp_path):
    category = cfg.SubCommandOpt('category', handler=cost.add_parser)
    # Logs on stderr, so that stdout holds only the command's output.
    config = tmp_path / 'cost.conf'
    config.write_text('[DEFAULT]\nuse_stderr = true\n')
    conf = service.prepare_service(['--config-file', str(config)] + argv,
                                   cli_opts=[category],
                                   default_config_files=[])
    return conf.category.action_fn(conf)


@pytest.fixture
def files(tmp_path):
    workloads = cards.workloads(
        ('idle', 'training', 4, 16, 2, 0, 'A100', 'p1'),
        ('web', 'serving', 2, 8, 0, 0, None, 'p2'))
    stamps = pd.date_range(cards.MONDAY, periods=HOURS, freq='h')
    wave = 50 + 30 * np.sin(2 * np.pi * np.arange(HOURS) / 24)
    usage = pd.concat([
        pd.DataFrame({'workload_id': 'idle', 'timestamp': stamps,
                      'metric': 'gpu_utilization', 'value': 0.5}),
        pd.DataFrame({'workload_id': 'idle', 'timestamp': stamps,
                      'metric': 'power_watts', 'value': 300.0}),
        pd.DataFrame({'workload_id': 'web', 'timestamp': stamps,
                      'metric': 'cpu_utilization', 'value': wave}),
    ], ignore_index=True)
    paths = {name: tmp_path / f'{name}.csv'
             for name in ('workloads', 'usage')}
    workloads.to_csv(paths['workloads'], index=False)
    usage.assign(timestamp=usage['timestamp'].dt.strftime(
        '%Y-%m-%dT%H:%M:%SZ')).to_csv(paths['usage'], index=False)
    card = tmp_path / 'card.json'
    card.write_text(json.dumps(cards.BASE))
    return str(paths['workloads']), str(paths['usage']), str(card)


def test_cost_json_totals_and_recommendations(files, tmp_path, capsys):
    workloads, usage, card = files
    assert _run(['cost', '--workloads', workloads, '--usage', usage,
                 '--rates', card, '--format', 'json'], tmp_path) == 0
    out = json.loads(capsys.readouterr().out)
    assert out['currency'] == 'EUR'
    per = {r['workload_id']: r for r in out['workloads']}
    # web: 72 h x (2 x 0.05 + 8 x 0.01), exact in the output text
    assert per['web']['cost'] == '12.960000'
    assert per['web']['breakdown']['compute'] == '12.960000'
    assert per['idle']['breakdown']['gpu'] == '288.000000'   # 72 x 4.00
    projects = {r['project_id']: r for r in out['projects']}
    assert projects['p2']['cost'] == per['web']['cost']
    kinds = {(r['workload_id'], r['kind']) for r in out['recommendations']}
    assert ('idle', 'idle_accelerator') in kinds
    idle = next(r for r in out['recommendations']
                if r['kind'] == 'idle_accelerator')
    assert idle['monthly_saving'] == '2920.000000'   # 2 x 2.00 x 730


def test_cost_table(files, tmp_path, capsys):
    workloads, usage, card = files
    assert _run(['cost', '--workloads', workloads, '--usage', usage,
                 '--rates', card], tmp_path) == 0
    out = capsys.readouterr().out
    assert 'Cost per workload (EUR' in out
    assert 'Cost per project' in out
    assert 'idle_accelerator' in out and '2,920.00/month' in out


def test_bad_inputs_exit_2_with_the_reason(files, tmp_path, capsys):
    workloads, usage, card = files
    assert _run(['cost', '--workloads', usage, '--usage', usage],
                tmp_path) == 2
    assert 'missing column' in capsys.readouterr().err
    bad_card = tmp_path / 'bad.json'
    bad_card.write_text(json.dumps(dict(cards.BASE, currency='euro')))
    assert _run(['cost', '--workloads', workloads, '--usage', usage,
                 '--rates', str(bad_card)], tmp_path) == 2
    assert 'currency' in capsys.readouterr().err
    assert _run(['forecast', '--usage', usage, '--metric',
                 'cpu_utilization', '--horizon', '3 weeks'], tmp_path) == 2
    assert 'bad horizon' in capsys.readouterr().err
    assert _run(['forecast', '--usage', usage, '--metric',
                 'npu_utilization'], tmp_path) == 2
    assert 'no rows of metric' in capsys.readouterr().err


def test_forecast_json_per_workload(files, tmp_path, capsys):
    _, usage, _ = files
    assert _run(['forecast', '--usage', usage, '--metric',
                 'cpu_utilization', '--horizon', '1d', '--format', 'json'],
                tmp_path) == 0
    out = json.loads(capsys.readouterr().out)
    assert out['horizon_hours'] == 24
    [series] = out['series']
    assert series['workload_id'] == 'web'
    assert len(series['hours']) == 24
    assert series['hours'][0]['hour'] == '2026-03-05T00:00:00+00:00'
    for hour in series['hours']:
        assert hour['lower'] <= hour['forecast'] <= hour['upper']
    # a clean daily wave: the forecast follows it within a point
    expected = 50 + 30 * np.sin(2 * np.pi * np.arange(24) / 24)
    got = np.array([h['forecast'] for h in series['hours']])
    assert np.abs(got - expected).max() < 1.0


def test_forecast_table(files, tmp_path, capsys):
    _, usage, _ = files
    assert _run(['forecast', '--usage', usage, '--metric', 'power_watts',
                 '--horizon', '6'], tmp_path) == 0
    lines = capsys.readouterr().out.splitlines()
    assert 'power_watts, W' in lines[0]
    assert len(lines) == 1 + 6
    assert all(line.startswith('idle') for line in lines[1:])


@pytest.mark.parametrize('text, hours', [('48h', 48), ('48', 48),
                                         ('2d', 48), (' 7 h', 7)])
def test_parse_horizon(text, hours):
    assert cost.parse_horizon(text) == hours


@pytest.mark.parametrize('text', ['0h', '15d', 'soon', '', '2w'])
def test_parse_horizon_refuses(text):
    with pytest.raises(ValueError):
        cost.parse_horizon(text)


def test_cost_totals_over_a_window(files, tmp_path, capsys):
    workloads, usage, card = files
    assert _run(['cost', '--workloads', workloads, '--usage', usage,
                 '--rates', card, '--format', 'json',
                 '--start', '2026-03-02T10:00:00Z',
                 '--end', '2026-03-02T20:00'], tmp_path) == 0
    out = json.loads(capsys.readouterr().out)
    per = {r['workload_id']: r for r in out['workloads']}
    assert per['web']['hours'] == 10
    assert per['web']['cost'] == '1.800000'      # 10 x 0.18
    assert out['window']['end'] == '2026-03-02T20:00:00+00:00'
    assert _run(['cost', '--workloads', workloads, '--usage', usage,
                 '--start', 'yesterday'], tmp_path) == 2
    assert 'bad time' in capsys.readouterr().err
