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
"""The panels' formatting of the API's values (no Django needed)."""

import pytest

from kcloud_analyzer_dashboard import formatting


def test_money_two_decimals_with_currency():
    assert formatting.money(12.5, 'USD') == '12.50 USD'
    assert formatting.money(0.004, 'EUR') == '0.00 EUR'
    assert formatting.money(None, 'USD') == '-'


def test_percent_rounds_a_share():
    assert formatting.percent(0.874) == '87%'
    assert formatting.percent(1.0) == '100%'
    assert formatting.percent(None) == '-'


def test_figure_formats_floats_and_keeps_the_rest():
    assert formatting.figure(41.256) == '41.26'
    assert formatting.figure(float('nan')) == '-'
    assert formatting.figure(4) == 4
    assert formatting.figure('gpu_utilization') == 'gpu_utilization'


def test_workload_class_prefers_the_classified_type():
    assert formatting.workload_class({
        'classified_type': 'training', 'confidence': 0.9,
        'declared_type': 'serving'}) == 'training (90%)'
    assert formatting.workload_class({
        'classified_type': 'serving', 'confidence': None}) == 'serving'
    assert formatting.workload_class({
        'classified_type': None, 'declared_type': 'inference'}) == (
        'inference')
    assert formatting.workload_class({}) == '-'


def test_unknown_is_shown_with_its_reason():
    reason = 'only 3 samples seen; too little to tell the class'
    assert formatting.workload_class({
        'classified_type': 'unknown', 'confidence': 0.41,
        'reason': reason}) == 'unknown: ' + reason
    assert formatting.workload_class({
        'classified_type': 'unknown', 'confidence': 0.41}) == 'unknown'


def test_totals_by_workload_sums_the_periods():
    summary = [
        {'group': 'a', 'total': 10.25, 'currency': 'USD'},
        {'group': 'b', 'total': 3.0, 'currency': 'USD'},
        {'group': 'a', 'total': 4.5, 'currency': 'USD'},
    ]
    assert formatting.totals_by_workload(summary) == {
        'a': (14.75, 'USD'), 'b': (3.0, 'USD')}
    assert formatting.totals_by_workload([]) == {}


def test_savings_sums_per_currency():
    recommendations = [
        {'monthly_saving': 100.5, 'currency': 'USD'},
        {'monthly_saving': 20.0, 'currency': 'EUR'},
        {'monthly_saving': 0.25, 'currency': 'USD'},
        {'monthly_saving': None, 'currency': 'USD'},
    ]
    assert formatting.savings(recommendations) == '20.00 EUR, 100.75 USD'
    assert formatting.savings([]) == ''


@pytest.mark.parametrize('recommendation, kind, target', [
    ({'kind': 'cheaper_accelerator',
      'evidence': {'candidate': 'L40S', 'candidate_count': 2}},
     'Move to a cheaper accelerator', '2 × L40S'),
    ({'kind': 'gpu_partition', 'evidence': {'partition': 'A100 3g.40gb'}},
     'Use a GPU partition (MIG / vGPU)', 'A100 3g.40gb'),
    ({'kind': 'fewer_gpus',
      'evidence': {'accelerator': 'A100', 'recommended_count': 4}},
     'Use fewer GPUs', '4 × A100'),
    ({'kind': 'oversized_compute',
      'evidence': {'recommended_cpu_cores': 8.0,
                   'recommended_memory_gb': 32.0}},
     'Resize vCPUs and RAM', '8 vCPU, 32 GB RAM'),
    ({'kind': 'oversized_compute',
      'evidence': {'flavor': 'g1.xlarge', 'recommended_flavor': 'g1.large',
                   'recommended_cpu_cores': 8.0}},
     'Resize vCPUs and RAM', 'flavor g1.large'),
    ({'kind': 'power_cap',
      'evidence': {'accelerator': 'A100', 'power_limit_w': 240}},
     'Cap accelerator power', '240 W per A100'),
    ({'kind': 'brand_new_kind', 'evidence': {}}, 'Brand new kind', '-'),
])
def test_recommendation_kind_and_target(recommendation, kind, target):
    assert formatting.recommendation_kind(recommendation) == kind
    assert formatting.recommendation_target(recommendation) == target
