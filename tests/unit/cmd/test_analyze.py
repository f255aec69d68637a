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
from kcloud_analyzer.common import datasets as data_locator
from kcloud_analyzer.common import offline
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.cost_model import realtime
from kcloud_analyzer import service
from kcloud_analyzer.workload_analyzer.classifiers import random_forest
from kcloud_analyzer.workload_analyzer import datasets
from kcloud_analyzer.workload_analyzer import features
from kcloud_analyzer.workload_analyzer import power_model
from kcloud_analyzer.workload_analyzer import synthetic

PODS = 12


def _run(argv, models_dir):
    category = cfg.SubCommandOpt('category', handler=analyze.add_parser)
    # Logs on stderr, so that stdout holds only the command's output.
    config = models_dir / 'analyze.conf'
    config.write_text('[DEFAULT]\nuse_stderr = true\n')
    conf = service.prepare_service(['--config-file', str(config)] + argv,
                                   cli_opts=[category],
                                   default_config_files=[])
    conf.set_override('models_dir', str(models_dir))
    return conf.category.action_fn(conf)


@pytest.fixture(scope='module')
def alibaba_csv(tmp_path_factory):
    """workloads.csv and usage.csv.gz of real Alibaba GenAI serving pods."""
    folder = tmp_path_factory.mktemp('alibaba')
    workloads, usage = datasets.alibaba_serving(data_locator.data_dir(),
                                                max_pods=PODS)
    # The trace gives neither the declared type nor the pods' CPU and
    # memory requests; the CSV needs numbers there.
    workloads = workloads.assign(type='', cpu_cores=8.0, memory_gb=32.0)
    usage = usage.assign(
        timestamp=usage['timestamp'].dt.strftime('%Y-%m-%dT%H:%M:%SZ'))
    workloads_path = folder / 'workloads.csv'
    usage_path = folder / 'usage.csv.gz'
    workloads.to_csv(workloads_path, index=False)
    usage.to_csv(usage_path, index=False)
    return workloads_path, usage_path


def _classes(capsys):
    output = json.loads(capsys.readouterr().out)
    return output, [r['workload_class'] for r in output['workloads']]


def test_alibaba_pods_are_serving_with_rules(alibaba_csv, tmp_path, capsys):
    workloads_path, usage_path = alibaba_csv
    status = _run(['analyze', '--workloads', str(workloads_path),
                   '--usage', str(usage_path), '--format', 'json'],
                  tmp_path)
    assert status == 0
    output, classes = _classes(capsys)
    # No model file in tmp_path: the configured random_forest falls back.
    assert output['classifier'] == 'rules'
    assert classes == ['serving'] * PODS
    record = output['workloads'][0]
    assert record['deciding_features']
    assert 0 < record['confidence'] <= 1
    assert record['profile']['gpus_allocated'] == 1
    assert 0 <= record['profile']['gpu_utilization_mean'] <= 100
    # No power in this trace: nothing measured, all of it estimated.
    assert record['energy']['energy_kwh'] is None
    assert record['energy']['power_source'] == 'estimated'
    assert record['energy']['power_estimate'] == 'utilization_curve'
    # the trace says only "gpu": the card's default GPU is assumed
    assert record['energy']['assumed_accelerator'] == 'A100'
    assert record['energy']['estimated_energy_kwh'] > 0
    assert 'power_watts' in record['missing_metrics']
    assert 'gpu_utilization' not in record['missing_metrics']


def test_alibaba_pods_energy_is_the_estimate_the_cost_bills(
        alibaba_csv, tmp_path, capsys):
    workloads_path, usage_path = alibaba_csv
    status = _run(['analyze', '--workloads', str(workloads_path),
                   '--usage', str(usage_path), '--format', 'json'],
                  tmp_path)
    assert status == 0
    output = json.loads(capsys.readouterr().out)
    analyzed = {r['workload_id']: r['energy'] for r in output['workloads']}
    workloads = offline.load_workloads(str(workloads_path))
    usage = offline.load_usage(str(usage_path))
    card = ratecard.load_rate_card(ratecard.default_rate_card_path())
    # priced as the API prices a GPU without a model: the card's default
    model = card.default_accelerator('gpu')
    workloads = workloads.assign(accelerator=model)
    costs = realtime.compute_costs(workloads, usage, card)
    billed = costs.groupby('workload_id')[['energy_kwh',
                                           'estimated_kwh']].sum()
    assert len(billed) == PODS
    for workload_id, row in billed.iterrows():
        energy = analyzed[workload_id]
        # every kWh of these pods is estimated, in both commands alike
        assert row['estimated_kwh'] == pytest.approx(row['energy_kwh'])
        assert energy['estimated_energy_kwh'] == pytest.approx(
            row['energy_kwh'], rel=1e-9, abs=1e-12)
        # a board draws between its idle and busy power
        idle, busy = power_model.default_curves()[model.lower()]
        assert idle <= energy['average_power_w'] <= busy


def test_alibaba_pods_are_serving_with_a_forest_that_never_saw_them(
        alibaba_csv, tmp_path, capsys):
    rng = np.random.default_rng(5)
    frames, labels = [], []
    for workload_class in synthetic.CLASSES:
        for batch in range(2):
            series, workloads = synthetic.generate(
                60, workload_class, rng, prefix=f'{workload_class}-{batch}')
            frames.append(features.analyze(series, workloads)[2])
            labels += [workload_class] * 60
    bundle = random_forest.fit(pd.concat(frames), labels, n_estimators=60)
    random_forest.save(bundle, tmp_path / random_forest.model_file_name(1))

    workloads_path, usage_path = alibaba_csv
    status = _run(['analyze', '--workloads', str(workloads_path),
                   '--usage', str(usage_path), '--format', 'json'],
                  tmp_path)
    assert status == 0
    output, classes = _classes(capsys)
    assert output['classifier'] == 'random_forest'
    assert classes.count('serving') >= 0.75 * PODS


def test_table_output(alibaba_csv, tmp_path, capsys):
    workloads_path, usage_path = alibaba_csv
    status = _run(['analyze', '--workloads', str(workloads_path),
                   '--usage', str(usage_path), '--classifier', 'rules'],
                  tmp_path)
    assert status == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == 'Classifier: rules'
    assert lines[1].split()[:2] == ['workload_id', 'class']
    body = lines[3:]
    assert len(body) == PODS
    assert all(line.split()[1] == 'serving' for line in body)


@pytest.mark.parametrize('row, reason', [
    ('w1,2026-01-31T12:00:30Z,gpu_busy,5', "unknown metric 'gpu_busy'"),
    ('w1,31/01/2026,gpu_utilization,5', "bad timestamp '31/01/2026'"),
    ('w9,2026-01-31T12:00:30Z,gpu_utilization,5',
     "workload_id 'w9' is not in the workloads file"),
])
def test_malformed_usage_exits_2_with_file_and_line(tmp_path, capsys, row,
                                                    reason):
    workloads_path = tmp_path / 'workloads.csv'
    workloads_path.write_text(
        'workload_id,type,cpu_cores,memory_gb,gpu_count,npu_count,'
        'accelerator,project_id\nw1,,4,16,1,0,A100,p\n')
    usage_path = tmp_path / 'usage.csv'
    usage_path.write_text('workload_id,timestamp,metric,value\n'
                          'w1,2026-01-31T12:00:00Z,gpu_utilization,5\n'
                          + row + '\n')
    status = _run(['analyze', '--workloads', str(workloads_path),
                   '--usage', str(usage_path)], tmp_path)
    assert status == 2
    captured = capsys.readouterr()
    assert captured.out == ''
    assert captured.err.startswith(f'{usage_path}:3: {reason}')


def test_missing_column_exits_2(tmp_path, capsys):
    workloads_path = tmp_path / 'workloads.csv'
    workloads_path.write_text('workload_id,type\nw1,\n')
    usage_path = tmp_path / 'usage.csv'
    usage_path.write_text('workload_id,timestamp,metric,value\n')
    status = _run(['analyze', '--workloads', str(workloads_path),
                   '--usage', str(usage_path)], tmp_path)
    assert status == 2
    assert capsys.readouterr().err.startswith(
        f'{workloads_path}:1: missing column(s): cpu_cores')


def test_progress_bar_on_long_runs(alibaba_csv, tmp_path, capsys,
                                   monkeypatch):
    monkeypatch.setattr(analyze, 'CHUNK_ROWS', 5)
    workloads_path, usage_path = alibaba_csv
    status = _run(['analyze', '--workloads', str(workloads_path),
                   '--usage', str(usage_path), '--classifier', 'rules'],
                  tmp_path)
    assert status == 0
    captured = capsys.readouterr()
    assert f'{PODS}/{PODS}' in captured.err
    assert 'Analysing' in captured.err
    assert 'Analysing' not in captured.out


def test_workload_without_usage_is_not_classified(tmp_path, capsys):
    workloads_path = tmp_path / 'workloads.csv'
    workloads_path.write_text(
        'workload_id,type,cpu_cores,memory_gb,gpu_count,npu_count,'
        'accelerator,project_id\nw1,training,4,16,4,0,A100,p\n'
        'w2,,4,16,1,0,A100,p\n')
    usage_path = tmp_path / 'usage.csv'
    usage_path.write_text(
        'workload_id,timestamp,metric,value\n'
        'w1,2026-01-31T12:00:00Z,gpu_utilization,40\n'
        'w1,2026-01-31T12:00:30Z,gpu_utilization,30\n'
        'w1,2026-01-31T12:00:00Z,accelerator_power_watts,1000\n'
        'w1,2026-01-31T12:00:30Z,accelerator_power_watts,1000\n')
    status = _run(['analyze', '--workloads', str(workloads_path),
                   '--usage', str(usage_path), '--format', 'json',
                   '--classifier', 'rules'], tmp_path)
    assert status == 0
    output, classes = _classes(capsys)
    first, second = output['workloads']
    assert first['declared_type'] == 'training'
    assert first['workload_class'] in ('training', 'inference', 'serving')
    assert first['profile']['gpus_used'] == pytest.approx(1.4)
    # each of the two samples stands for 30 s
    assert first['energy']['energy_kwh'] == pytest.approx(1000 * 60 / 3.6e6)
    assert first['energy']['power_source'] == 'accelerator'
    assert second['workload_class'] is None
    assert second['confidence'] is None
    assert 'gpu_utilization' in second['missing_metrics']
