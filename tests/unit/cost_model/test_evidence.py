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
"""Evidence blocks and the probability that a margin holds."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kcloud_analyzer.cost_model import evidence
from kcloud_analyzer.cost_model import realtime
from tests.unit.cost_model import cards


def test_holds_probability_is_the_student_t_predictive():
    margins = np.array([3.0, 5.0, 4.0, 6.0])
    scale = margins.std(ddof=1) * np.sqrt(1 + 1 / 4)
    assert evidence.holds_probability(margins, 1.0) == pytest.approx(
        stats.t.cdf(margins.mean() / scale, df=3))
    # constant margins take the resolution as their spread
    assert evidence.holds_probability([2.0, 2.0, 2.0], 1.0) == pytest.approx(
        stats.t.cdf(2.0 / np.sqrt(1 + 1 / 3), df=2))
    # negative margins: the advice is not expected to hold
    assert evidence.holds_probability([-5.0, -6.0, -4.0], 1.0) < 0.05


def test_fewer_blocks_than_the_minimum_promise_nothing():
    assert evidence.holds_probability([10.0], 1.0) == 0.0
    assert evidence.holds_probability([10.0, np.nan], 1.0) == 0.0


def test_blocks_are_days_from_three_days_on_else_quarters():
    fleet = cards.workloads(('long', 'training', 4, 16, 1, 0, 'A100', 'p1'),
                            ('short', 'training', 4, 16, 1, 0, 'A100', 'p1'))
    rows = [('long', t, 'gpu_utilization', 50) for t in
            pd.date_range(cards.MONDAY, periods=72, freq='h')]
    rows += [('short', t, 'gpu_utilization', 50) for t in
             pd.date_range(cards.MONDAY, periods=12, freq='h')]
    usage = cards.usage(rows)
    costs = realtime.compute_costs(fleet, usage, cards.card())
    found, proof = evidence.workload_stats(fleet, usage, costs)
    assert found.loc['long', 'hours_observed'] == 72
    assert proof.blocks('long') == {'evidence_blocks': 3, 'block_hours': 24}
    assert proof.blocks('short') == {'evidence_blocks': 4, 'block_hours': 3}
    assert proof.block_p95('short', 'gpu_utilization').tolist() == [50.0] * 4


def test_class_known_needs_the_class_and_its_confidence():
    row = pd.Series({'type': 'training', 'type_confidence': 0.9})
    assert evidence.class_known(row, 'training')
    assert not evidence.class_known(row, 'serving')
    assert not evidence.class_known(row.replace(0.9, 0.5), 'training')
    # a declared type has no classifier confidence: it is known
    assert evidence.class_known(
        pd.Series({'type': 'training', 'type_confidence': np.nan}),
        'training')
