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
"""Energy per workload-hour and its time-of-use price, by hand and on the
measured power of real jobs.

The card is tests.unit.cost_model.cards.BASE: electricity 0.10/kWh with a
weekday peak of 0.30 from 07:30 to 20:00 and a night price of 0.05 from
23:00 to 06:00, PUE 1.5.
"""

import numpy as np
import pandas as pd
import pytest

from kcloud_analyzer.common import datasets
from kcloud_analyzer.cost_model import energy_billing
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.cost_model import realtime
from kcloud_analyzer.workload_analyzer import energy
from kcloud_analyzer.workload_analyzer import series as series_lib
from tests.unit.cost_model import cards
from tests.unit.cost_model.test_realtime import _row
from tests.unit.cost_model.test_realtime import TRAINER


def _trainer_costs(rows):
    """The cost rows of the two-A100 trainer of the test card, from
    (workload_id, timestamp, metric, value) usage rows."""
    return realtime.compute_costs(cards.workloads(TRAINER), cards.usage(rows),
                                  cards.card())


def test_host_power_is_preferred_over_board_power():
    costs = _trainer_costs([
        ('w1', '2026-03-07T12:00Z', 'power_watts', 1000),
        ('w1', '2026-03-07T12:30Z', 'power_watts', 1000),
        ('w1', '2026-03-07T12:00Z', 'accelerator_power_watts', 600),
        ('w1', '2026-03-07T12:30Z', 'accelerator_power_watts', 600),
    ])
    assert costs['energy_kwh'].iloc[0] == pytest.approx(1.0)


def test_tariff_boundary_inside_the_hour_prices_each_quarter():
    # Peak starts at 07:30 on Monday: the first two quarters are at 0.10,
    # the last two at 0.30, and the power differs between the halves.
    costs = _trainer_costs([
        ('w1', '2026-03-02T07:00Z', 'power_watts', 400),
        ('w1', '2026-03-02T07:15Z', 'power_watts', 400),
        ('w1', '2026-03-02T07:30Z', 'power_watts', 2000),
        ('w1', '2026-03-02T07:45Z', 'power_watts', 2000),
    ])
    row = _row(costs, 'w1', '2026-03-02T07:00Z')
    # 0.1 kWh + 0.1 kWh at 0.10, 0.5 kWh + 0.5 kWh at 0.30
    assert row['energy_kwh'] == pytest.approx(1.2)
    assert row['energy'] == pytest.approx((0.02 + 0.30) * 1.5)
    assert row['tariff_kwh'] == pytest.approx(0.32 / 1.2)


def test_one_sample_spanning_a_boundary_gets_the_time_weighted_price():
    # The 07:15 sample stands for 07:15-07:45: half at 0.10, half at 0.30.
    costs = _trainer_costs([('w1', '2026-03-02T07:15Z', 'power_watts', 1000),
                            ('w1', '2026-03-02T07:45Z', 'power_watts', 3000)])
    seven = _row(costs, 'w1', '2026-03-02T07:00Z')
    # 0.25 kWh at 0.10, 0.25 kWh at 0.30, then 3 kW for 15 min at 0.30
    assert seven['energy_kwh'] == pytest.approx(0.5 + 0.75)
    assert seven['energy'] == pytest.approx((0.025 + 0.075 + 0.225) * 1.5)
    # The last sample stands for one interval (30 min): 15 min of it fall
    # in the next hour, which is billed although no sample is in it.
    eight = _row(costs, 'w1', '2026-03-02T08:00Z')
    assert eight['energy_kwh'] == pytest.approx(0.75)
    assert eight['estimated_kwh'] == 0.0


def test_a_short_job_is_billed_the_energy_of_its_minutes():
    # Three minutes at 200 W, one sample a second: 0.01 kWh, not 0.2.
    stamps = pd.date_range('2026-03-02T10:20Z', periods=180, freq='s')
    costs = _trainer_costs([('w1', t, 'accelerator_power_watts', 200.0)
                            for t in stamps])
    assert len(costs) == 1
    assert costs['energy_kwh'].iloc[0] == pytest.approx(200 * 180 / 3.6e6)
    assert costs['estimated_kwh'].iloc[0] == 0.0


def test_a_gap_inside_an_hour_is_estimated_and_flagged():
    # Every minute from 10:00 to 10:19 at 600 W, then from 10:40 to 10:59
    # at 1200 W: 10:20-10:40 was not measured.
    first = pd.date_range('2026-03-07T10:00Z', periods=20, freq='min')
    second = pd.date_range('2026-03-07T10:40Z', periods=20, freq='min')
    costs = _trainer_costs(
        [('w1', t, 'power_watts', 600.0) for t in first] +
        [('w1', t, 'power_watts', 1200.0) for t in second])
    row = _row(costs, 'w1', '2026-03-07T10:00Z')
    # measured: 20 min at 600 W + 20 min at 1200 W = 0.6 kWh; the 10:19
    # sample stands for one minute, the 20 min after it are a gap at the
    # mean of 600 and 1200 W = 0.3 kWh.
    assert row['estimated_kwh'] == pytest.approx(0.3)
    assert row['energy_kwh'] == pytest.approx(0.9)
    # Saturday 0.10, PUE 1.5
    assert row['energy'] == pytest.approx(0.9 * 0.10 * 1.5)


def test_an_hour_inside_a_gap_is_not_billed():
    costs = _trainer_costs([
        ('w1', '2026-03-07T10:00Z', 'power_watts', 1000),
        ('w1', '2026-03-07T10:30Z', 'power_watts', 1000),
        ('w1', '2026-03-07T13:00Z', 'power_watts', 1000),
        ('w1', '2026-03-07T13:30Z', 'power_watts', 1000)])
    # 10:30 stands for one interval (30 min), the two hours after it are
    # a gap: 11:00 and 12:00 hold no sample and are not billed.
    assert costs['hour'].dt.strftime('%H').tolist() == ['10', '13']
    assert costs['energy_kwh'].tolist() == pytest.approx([1.0, 1.0])
    assert costs['estimated_kwh'].tolist() == [0.0, 0.0]


def test_time_of_use_is_read_in_the_card_time_zone():
    doc = cards.document()
    doc['electricity']['timezone'] = 'Europe/Berlin'
    card = ratecard.parse_rate_card(doc)
    # 06:30 UTC is 07:30 in Berlin in March (UTC+1): the peak starts.
    tariff = energy_billing.mean_tariff(
        card, pd.DatetimeIndex(['2026-03-02T06:00Z', '2026-03-02T06:30Z']),
        np.array([60.0, 30.0]))
    assert tariff == pytest.approx([0.20, 0.30])


def _zeus_and_mlenergy_usage():
    """Measured power of real jobs as an exporter would report it.

    Zeus (Apache-2.0): each GPU of every profiling file in
    ``zeus_gpu_power_profiles/profile_data`` is one job; each window ran
    ``elapsed_time`` s at the measured average ``gpu<i>_energy /
    elapsed_time`` W, sampled every 50-150 ms; the seconds between windows
    were not measured. ML.ENERGY (Apache-2.0): 30 minutes of LLM serving
    at each configuration's measured ``avg_power_watts``, one sample
    every 1-3 s. The jobs start at 10:58 so that they cross an hour.
    """
    rng = np.random.default_rng(3)
    origin = pd.Timestamp('2026-03-02T10:58:00Z')
    frames = []
    folder = datasets.data_dir() / 'zeus_gpu_power_profiles' / 'profile_data'
    for path in sorted(folder.glob('*.csv')):
        windows = pd.read_csv(path)
        first = windows['start_time'].iloc[0]
        for column in [c for c in windows if c.endswith('_energy')]:
            times, watts = [], []
            for start, elapsed, joules in zip(
                    windows['start_time'], windows['elapsed_time'],
                    windows[column], strict=True):
                inside = np.cumsum(rng.uniform(0.05, 0.15,
                                               int(elapsed / 0.05) + 2))
                inside = inside[inside < elapsed]
                times.append(start - first + inside)
                watts.append(np.full(len(inside), joules / elapsed))
            frames.append(pd.DataFrame({
                'workload_id': f'{path.stem}:{column}',
                'timestamp': origin + pd.to_timedelta(
                    np.concatenate(times), unit='s'),
                'value': np.concatenate(watts)}))
    table = pd.read_csv(datasets.data_dir() / 'mlenergy_inference_power_v3'
                        / 'mlenergy_v3_configurations_flat.csv')
    llm = table.loc[table['energy_per_token_joules'].notna()].head(12)
    for position, watts in enumerate(llm['avg_power_watts']):
        seconds = np.cumsum(rng.uniform(1.0, 3.0, 900))
        seconds = seconds[seconds < 1800]
        frames.append(pd.DataFrame({
            'workload_id': f'mlenergy-{position}',
            'timestamp': origin + pd.to_timedelta(seconds, unit='s'),
            'value': watts * (1 + 0.2 * np.sin(seconds / 37.0))}))
    usage = pd.concat(frames, ignore_index=True)
    usage['metric'] = 'accelerator_power_watts'
    return usage


def test_hours_add_up_to_the_energy_profile_on_real_jobs():
    usage = _zeus_and_mlenergy_usage()
    ids = usage['workload_id'].unique()
    workloads = cards.workloads(*[
        (w, 'training', 4, 16, 1, 0, 'A100', 'p1') for w in ids])
    costs = realtime.compute_costs(workloads, usage, cards.card())
    profile = energy.energy_profile(series_lib.from_usage(usage, ids))
    billed = costs.groupby('workload_id')[['energy_kwh',
                                            'estimated_kwh']].sum()
    measured_j = (billed['energy_kwh'] - billed['estimated_kwh']) * 3.6e6
    total_j = billed['energy_kwh'] * 3.6e6
    assert len(ids) == 32
    # To the joule, job by job.
    assert np.abs(measured_j[ids] - profile.loc[ids, 'energy_kwh'] * 3.6e6
                  ).max() < 1.0
    assert np.abs(total_j[ids]
                  - profile.loc[ids, 'estimated_energy_kwh'] * 3.6e6
                  ).max() < 1.0
    # Zeus: the measured joules of the windows, within 1 %; the seconds
    # between windows are estimated, not measured.
    zeus = [w for w in ids if not w.startswith('mlenergy')]
    assert (billed.loc[zeus, 'estimated_kwh'] > 0).all()
    # A few minutes of a job are a few Wh, not a whole hour of power.
    assert billed.loc[zeus, 'energy_kwh'].max() < 0.05
    crossing = costs.loc[costs['workload_id'].str.startswith('mlenergy')]
    assert set(crossing['hour'].dt.hour) == {10, 11}
