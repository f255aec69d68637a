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

from kcloud_analyzer.cmd import analyze
from kcloud_analyzer.cmd import cost
from kcloud_analyzer.common import datasets
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
    # 300 W measured at the host, of which the two A100s at 0.5 % of
    # their 400 W board power draw 4 W
    assert idle['monthly_kwh'] == pytest.approx(
        0.3 * 730 * (2 * 400 * 0.005 / 300), abs=1e-3)


def test_cost_table(files, tmp_path, capsys):
    workloads, usage, card = files
    assert _run(['cost', '--workloads', workloads, '--usage', usage,
                 '--rates', card], tmp_path) == 0
    out = capsys.readouterr().out
    assert 'Cost per workload (EUR' in out
    assert 'Cost per project' in out
    assert 'idle_accelerator' in out
    assert '2,920.00/month and 2.9 kWh' in out


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


def test_analyze_and_cost_agree_on_a_short_zeus_job(tmp_path, capsys):
    """The 4-GPU Zeus resnet18 profile: about seven minutes of training.

    Each window ran ``elapsed_time`` s at the measured ``gpu0_energy /
    elapsed_time`` W (Zeus, Apache-2.0), one sample every 0.5 s; between
    windows nothing was measured.
    """
    path = (datasets.data_dir() / 'zeus_gpu_power_profiles' / 'profile_data'
            / 'A40+resnet18+gpu0,1,2,3.csv')
    windows = pd.read_csv(path)
    origin = pd.Timestamp('2026-03-02T10:20:00Z')
    offsets, watts = [], []
    for start, elapsed, joules in zip(
            windows['start_time'] - windows['start_time'].iloc[0],
            windows['elapsed_time'], windows['gpu0_energy'], strict=True):
        inside = np.arange(0.0, elapsed, 0.5)
        offsets.append(start + inside)
        watts.append(np.full(len(inside), joules / elapsed))
    stamps = origin + pd.to_timedelta(np.concatenate(offsets), unit='s')
    usage = pd.DataFrame({
        'workload_id': 'zeus-resnet18-a40-gpu0',
        'timestamp': stamps.strftime('%Y-%m-%dT%H:%M:%S.%fZ'),
        'metric': 'accelerator_power_watts',
        'value': np.concatenate(watts)})
    usage_path = tmp_path / 'usage.csv'
    usage.to_csv(usage_path, index=False)
    workloads_path = tmp_path / 'workloads.csv'
    cards.workloads(('zeus-resnet18-a40-gpu0', 'training', 8, 32, 1, 0,
                     'A100', 'p1')).to_csv(workloads_path, index=False)
    card = tmp_path / 'card.json'
    card.write_text(json.dumps(cards.BASE))

    assert _run(['cost', '--workloads', str(workloads_path), '--usage',
                 str(usage_path), '--rates', str(card), '--format',
                 'json'], tmp_path) == 0
    billed = json.loads(capsys.readouterr().out)['workloads'][0]
    category = cfg.SubCommandOpt('category', handler=analyze.add_parser)
    conf = service.prepare_service(
        ['--config-file', str(tmp_path / 'cost.conf'), 'analyze',
         '--workloads', str(workloads_path), '--usage', str(usage_path),
         '--format', 'json', '--classifier', 'rules'],
        cli_opts=[category], default_config_files=[])
    assert conf.category.action_fn(conf) == 0
    profile = json.loads(capsys.readouterr().out)['workloads'][0]['energy']

    measured_j = windows['gpu0_energy'].sum()
    # About seven minutes, a few Wh (the old rule billed a whole hour of
    # mean power: 0.2 kWh).
    span = (stamps.max() - stamps.min()).total_seconds()
    assert 360 < span < 480
    assert billed['hours'] == 1
    assert billed['energy_kwh'] < 0.02
    # analyze and cost, to the joule
    assert abs(billed['energy_kwh'] - profile['estimated_energy_kwh']) * (
        3.6e6) < 1.0
    assert abs(billed['energy_kwh'] - billed['estimated_kwh']
               - profile['energy_kwh']) * 3.6e6 < 1.0
    # and the measured part within 1 % of what NVML measured
    assert (billed['energy_kwh'] - billed['estimated_kwh']) * 3.6e6 == (
        pytest.approx(measured_j, rel=0.01))
