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

import numpy as np
import pandas as pd
import pytest

from kcloud_analyzer.common import datasets
from kcloud_analyzer.cost_model import spend

QUICK = ('seasonal_naive', 'weekly_naive', 'last_value', 'seasonal_median',
         'scaled_profile')


def _frame(key, hours, costs):
    return pd.DataFrame({'key': key, 'hour': hours, 'cost': costs})


def test_constant_spend_runs_to_the_end_of_the_month():
    # 2.5 an hour since 1 March 00:00; now is 10 March 12:30 UTC.
    hours = pd.date_range('2026-02-20T00:00Z', '2026-03-10T12:00Z',
                          freq='h')
    now = pd.Timestamp('2026-03-10T12:30Z')
    table = spend.month_end(_frame('p1', hours, 2.5), now, methods=QUICK)
    row = table.loc['p1']
    # March: 9 days and 13 hours (00:00 to 12:00 inclusive) spent so far
    assert row['so_far'] == pytest.approx(2.5 * (9 * 24 + 13))
    # 13:00 on the 10th to 23:00 on the 31st
    assert row['hours_left'] == 11 + 21 * 24
    assert row['month_end'] == pytest.approx(2.5 * 31 * 24)
    assert row['lower'] <= row['month_end'] <= row['upper']
    assert row['lower'] >= row['so_far']


def test_a_workload_that_stopped_is_forecast_to_spend_nothing_more():
    hours = pd.date_range('2026-03-01T00:00Z', periods=48, freq='h')
    table = spend.month_end(_frame('w1', hours, 1.0),
                            pd.Timestamp('2026-03-20T08:00Z'),
                            methods=QUICK)
    assert table.loc['w1', 'so_far'] == pytest.approx(48.0)
    assert table.loc['w1', 'month_end'] == pytest.approx(48.0)
    assert table.loc['w1', 'lower'] >= 0


def test_the_interval_is_never_below_zero_on_real_spend():
    """ServeGen hourly request rates (Apache-2.0) as the hourly spend of
    three models at 0.01 per request/s: spiky series whose intervals would
    reach below zero."""
    frame = pd.read_csv(datasets.data_dir() /
                        'alibaba_servegen_llm_serving_rates' /
                        'servegen_model_total_rate_10min.csv')
    frame['hour'] = pd.to_datetime(frame['timestamp_s'] // 3600 * 3600,
                                   unit='s', utc=True)
    hourly = frame.groupby(['model', 'hour'])['total_rate_rps'].mean()
    origin = hourly.index.get_level_values('hour').min()
    # Place the series so that "now" falls on day 10 of a month, with the
    # last 48 hours (the evaluation window) left out.
    shifted = hourly.reset_index()
    shifted['hour'] = (pd.Timestamp('2026-03-01T00:00Z')
                       + (shifted['hour'] - origin))
    last = shifted['hour'].max() - pd.Timedelta(hours=48)
    shifted = shifted.loc[shifted['hour'] <= last]
    table = spend.month_end(
        pd.DataFrame({'key': shifted['model'], 'hour': shifted['hour'],
                      'cost': shifted['total_rate_rps'] * 0.01}),
        last + pd.Timedelta(minutes=30), methods=QUICK)
    assert len(table) >= 3
    assert (table[['lower', 'rest_lower']].to_numpy() >= 0).all()
    assert (table['lower'] <= table['month_end']).all()
    assert (table['month_end'] <= table['upper']).all()
    assert np.isfinite(table['month_end']).all()


def test_no_spend_is_an_empty_table():
    table = spend.month_end(pd.DataFrame(columns=['key', 'hour', 'cost']),
                            pd.Timestamp('2026-03-10T00:00Z'))
    assert table.empty
