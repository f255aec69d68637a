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

"""Downsampling old rollups to hours: what changes and what does not."""

import datetime
import decimal

import numpy as np
import pytest

from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import costs
from kcloud_analyzer.jobs import retention
from tests.unit.jobs import conftest

START = conftest.START
HOUR = datetime.timedelta(hours=1)
FIVE_MIN = datetime.timedelta(minutes=5)
LINES = ('compute', 'gpu', 'npu', 'storage', 'network', 'energy', 'idle',
         'total', 'energy_kwh', 'estimated_kwh', 'carbon_kg')


def _fine_workload(context, hours=24):
    """A workload with 5-minute rollups of every priced metric, each
    window of ten samples (one per 30 s)."""
    rng = np.random.default_rng(3)
    db_api.workload_create(context, {
        'workload_id': 'fine', 'project_id': 'p9',
        'declared_type': 'training', 'accelerator': 'A100',
        'resources': {'cpu_cores': 8, 'memory_gb': 64, 'gpu_count': 2,
                      'npu_count': 0}})
    rows = []
    for i in range(hours * 12):
        for metric, value in (
                ('power_watts', rng.uniform(300, 900)),
                ('gpu_utilization', rng.uniform(0, 100)),
                ('cpu_utilization', rng.uniform(0, 100)),
                ('memory_utilization', rng.uniform(0, 100)),
                ('storage_gb', 500.0),
                ('network_tx_bytes_per_s', rng.uniform(0, 1e7))):
            rows.append({'workload_id': 'fine', 'metric': metric,
                         'window_start': START + i * FIVE_MIN,
                         'mean': value, 'min': value * 0.9,
                         'max': value * 1.1, 'count': 10})
    db_api.rollups_upsert(context, rows)


def _lines(records):
    return [(r['hour'], r['basis']) + tuple(
        decimal.Decimal(str(r[line] or 0)) for line in LINES)
        for r in records]


def test_nothing_is_downsampled_before_it_is_priced(cost_store):
    conf, context = cost_store
    _fine_workload(context)
    now = START + 30 * 24 * HOUR
    # No hour priced yet: nothing to do, whatever the age.
    assert retention.cut(conf, context, now=now) is None
    assert retention.downsample(conf, context, now=now) == (None, 0, 0)
    costs.update_costs(conf, context, now=START + 24 * HOUR)
    # The age is 8 days by default; the newest priced hour caps the cut.
    assert retention.cut(conf, context, now=now) == START + 23 * HOUR
    assert retention.cut(conf, context,
                         now=START + 8 * 24 * HOUR + 10 * HOUR) == \
        START + 10 * HOUR
    conf.set_override('rollup_full_resolution_age', 0)
    assert retention.cut(conf, context, now=now) is None


def test_priced_costs_are_kept_and_priced_again_the_same(cost_store):
    conf, context = cost_store
    _fine_workload(context)
    costs.update_costs(conf, context, now=START + 24 * HOUR)
    priced = db_api.cost_record_list(context, 'fine')
    assert len(priced) == 2 * 24
    summary = db_api.cost_summary(context, 'workload', 'day')

    until, hours, replaced = retention.downsample(
        conf, context, before=START + 48 * HOUR)
    # Capped by the newest priced hour (priced again at the next run).
    assert until == START + 23 * HOUR
    assert (hours, replaced) == (23 * 6, 23 * 12 * 6)
    stored = db_api.rollup_list(context, workload_id='fine',
                                end=START + 23 * HOUR)
    assert len(stored) == 23 * 6
    assert {r['count'] for r in stored} == {120}

    # Costs already priced are not touched.
    assert db_api.cost_record_list(context, 'fine') == priced
    assert db_api.cost_summary(context, 'workload', 'day') == summary

    # Whole hours of evenly spaced samples priced again from the hourly
    # rollups give the same lines, energy included; in the hour with a
    # tariff boundary inside (07:30) the kWh are the same, their price is
    # the hour's mean tariff.
    boundary = START + 7 * HOUR
    costs.reprocess_costs(conf, context, START, START + 23 * HOUR)
    again = db_api.cost_record_list(context, 'fine', end=START + 23 * HOUR)
    before = _lines(r for r in priced if r['hour'] < START + 23 * HOUR)
    assert len(again) == len(before) == 2 * 23
    for old, new in zip(before, _lines(again), strict=True):
        assert old[:2] == new[:2]
        for line, a, b in zip(LINES, old[2:], new[2:], strict=True):
            if old[0] == boundary and line in ('energy', 'total'):
                continue
            assert float(a) == pytest.approx(float(b), abs=2e-6), (
                old[:2], line)

    # Running it again changes nothing more.
    assert retention.downsample(conf, context,
                                before=START + 48 * HOUR)[1:] == (0, 0)
