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

from decimal import Decimal
import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from kcloud_analyzer.cost_model.models import base
from kcloud_analyzer.cost_model.models import linear_regression
from kcloud_analyzer.cost_model import realtime
from tests import fixtures
from tests.unit.cost_model import cards

FLEET = cards.workloads(
    ('t1', 'training', 8, 64, 4, 0, 'A100', 'p1'),
    ('t2', 'training', 4, 32, 1, 0, 'H100', 'p1'),
    ('i1', 'inference', 4, 16, 1, 0, 'L40S', 'p2'),
    ('s1', 'serving', 2, 8, 0, 2, 'NPU-X', 'p2'),
    ('s2', 'serving', 8, 32, 2, 0, 'A100', 'p3'),
    ('c1', None, 16, 64, 0, 0, None, 'p3'),
)


def _history(hours=72, seed=7):
    rng = np.random.default_rng(seed)
    stamps = pd.date_range(cards.MONDAY, periods=hours, freq='h')
    parts = []
    for row in FLEET.itertuples():
        util = rng.uniform(10, 95, hours)
        cpu = rng.uniform(5, 90, hours)
        devices = row.gpu_count + row.npu_count
        watts = 150 + devices * 350 * util / 100 + rng.normal(0, 20, hours)
        metric = ('npu_utilization' if row.npu_count else 'gpu_utilization')
        for name, values in ((metric, util), ('cpu_utilization', cpu),
                             ('power_watts', watts)):
            parts.append(pd.DataFrame({'workload_id': row.workload_id,
                                       'timestamp': stamps, 'metric': name,
                                       'value': values}))
    usage = pd.concat(parts, ignore_index=True)
    return usage, realtime.compute_costs(FLEET, usage, cards.card())


@pytest.fixture(scope='module')
def trained():
    usage, costs = _history()
    model = linear_regression.LinearRegressionModel(None, card=cards.card())
    statistics = model.fit(FLEET, usage, costs)
    return model, statistics, usage, costs


def test_fit_statistics(trained):
    model, statistics, _, costs = trained
    assert statistics['nobs'] == len(costs)
    # Allocation prices are linear in the features; only the tariff of
    # the hour and the power noise are left to the residual.
    assert statistics['rsquared'] > 0.99
    assert statistics['holdout_wape'] < 0.05
    assert 0.0 <= statistics['holdout_interval_coverage'] <= 1.0
    assert 'accelerator_list_price' in statistics['features']


def test_interval_is_the_statsmodels_observation_interval(trained):
    model, _, usage, costs = trained
    requests, target = linear_regression.training_rows(FLEET, usage, costs)
    matrix = linear_regression.design(
        requests, model.card, model.params['class_shares'])[
        model.params['features']]
    reference = sm.OLS(target, matrix).fit().get_prediction(
        matrix.iloc[:5]).summary_frame(alpha=1 - base.INTERVAL_LEVEL)
    point, lower, upper = model.predict_hourly(requests.iloc[:5])
    assert point == pytest.approx(reference['mean'].to_numpy())
    assert lower == pytest.approx(reference['obs_ci_lower'].to_numpy())
    assert upper == pytest.approx(reference['obs_ci_upper'].to_numpy())


def test_saved_as_json_and_reloaded_predicts_the_same(trained, tmp_path):
    model, _, _, _ = trained
    model.version = 4
    path = tmp_path / 'models' / 'cost.json'
    model.save(str(path))
    data = json.loads(path.read_text())
    assert data['name'] == 'linear_regression' and data['version'] == 4
    again = linear_regression.LinearRegressionModel(None, card=cards.card())
    again.load(str(path))
    request = pd.DataFrame([{'type': 'serving', 'cpu_cores': 4,
                             'memory_gb': 16, 'gpu_count': 1,
                             'npu_count': 0, 'accelerator': 'A100',
                             'gpu_utilization': 40}])
    assert again.predict(request, 24) == model.predict(request, 24)
    [prediction] = again.predict(request, 24)
    assert prediction['version'] == 4
    low, high = prediction['interval']['total']
    assert low <= prediction['total'] <= high
    assert prediction['total'] == pytest.approx(
        prediction['cost_per_hour'] * 24, abs=Decimal('0.00001'))


def test_prediction_tracks_the_rate_card_cost(trained):
    model, _, _, _ = trained
    request = pd.DataFrame([{'type': 'training', 'cpu_cores': 8,
                             'memory_gb': 64, 'gpu_count': 4,
                             'npu_count': 0, 'accelerator': 'A100',
                             'gpu_utilization': 50}])
    [prediction] = model.predict(request, 1)
    # 8 x 0.05 + 64 x 0.01 + 4 x 2.00 = 9.04 before energy
    assert 9.04 < float(prediction['cost_per_hour']) < 9.04 + 1.5


def test_untrained_model_says_so():
    model = linear_regression.LinearRegressionModel(None, card=cards.card())
    with pytest.raises(base.ModelNotTrained):
        model.predict(FLEET, 1)
    with pytest.raises(ValueError, match='format'):
        model.from_dict({'name': 'linear_regression', 'format': 99})


def test_dependent_features_are_left_out():
    frame = pd.DataFrame(dict.fromkeys(linear_regression.FEATURES, 0.0),
                         index=range(4))
    frame['const'] = 1.0
    frame['cpu_cores'] = [1.0, 2.0, 3.0, 4.0]
    frame['memory_gb'] = frame['cpu_cores'] * 8      # same information
    frame['is_serving'] = [0.0, 1.0, 0.0, 1.0]
    assert linear_regression.independent_features(frame) == [
        'const', 'cpu_cores', 'is_serving']


def test_a_workload_of_unknown_class_is_not_priced_as_training():
    """Training hours cost 5 more per hour than the others; a workload
    whose class is unknown is priced at the mixture of the classes seen,
    never as training (the baseline of the class indicators)."""
    usage, costs = _history()
    premium = {'t1': 5.0, 't2': 5.0}
    costs = costs.copy()
    costs['cost_per_hour'] = costs['cost_per_hour'].astype(float) + costs[
        'workload_id'].map(premium).fillna(0.0)
    model = linear_regression.LinearRegressionModel(None, card=cards.card())
    model.fit(FLEET, usage, costs)
    # t1, t2 training; i1 inference; s1, s2 serving; c1 untyped
    assert model.params['class_shares'] == pytest.approx(
        {'inference': 0.2, 'serving': 0.4})
    request = pd.DataFrame([
        {'type': kind, 'cpu_cores': 4, 'memory_gb': 16, 'gpu_count': 1,
         'npu_count': 0, 'accelerator': 'A100', 'gpu_utilization': 40}
        for kind in ('training', 'inference', 'unknown', None)])
    point, _, _ = model.predict_hourly(
        linear_regression.base.normalise_requests(request))
    training, inference, unknown, untyped = point
    assert training - inference == pytest.approx(5.0, abs=0.5)
    # 40 % of the typed hours are training: 0.4 x 5 above inference
    assert unknown == pytest.approx(inference + 0.4 * 5.0, abs=0.5)
    assert untyped == pytest.approx(unknown)


def test_the_plugin_does_not_import_all_of_statsmodels():
    # statsmodels.api would add about 30 MB to the API and the retraining
    assert fixtures.modules_loaded(
        'from kcloud_analyzer.cost_model.models import linear_regression',
        ['statsmodels.api', 'statsmodels.regression.linear_model']) == [
        'statsmodels.regression.linear_model']
