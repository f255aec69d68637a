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
"""``linear_regression``: OLS of the hourly cost on what a workload asks for.

Features (one row per workload-hour when fitting):

* ``const``;
* ``cpu_cores``, ``memory_gb``;
* ``accelerator_list_price``: accelerators x their card price per hour, so
  one coefficient serves every model the card lists;
* ``accelerator_busy_kw``: accelerators x board watts / 1000 x utilisation,
  which carries the energy line;
* ``cpu_busy_cores``: vCPUs x CPU utilisation;
* ``is_inference``, ``is_serving``: the workload class, training the
  baseline. A workload whose class is not known (none declared,
  ``unknown`` or none classified) is not taken for training: its two
  indicators are the shares of inference and serving among the typed
  workload-hours the model was fitted on (``class_shares``), so it is
  priced at the mixture of the classes, when fitting and when predicting.
  A model file without the shares (written before) uses a third each.

A feature that is constant or a linear combination of the ones before it
in the training rows is left out, so the design stays of full rank. The
fit is statsmodels OLS; what prediction needs (coefficients, their
covariance, residual variance and degrees of freedom) is kept as JSON,
and the 80 % prediction interval is mean +/- t(0.9, df) x sqrt(x' C x +
s^2), the statsmodels observation interval, recomputed without
unpickling anything.
"""

import datetime

import numpy as np
import pandas as pd
from scipy import stats
# the regression module alone: statsmodels.api imports every model,
# formula and plot of statsmodels (about 30 MB more in every process that
# loads this plugin)
from statsmodels.regression import linear_model

from kcloud_analyzer.common import metrics
from kcloud_analyzer.cost_model.models import base
from kcloud_analyzer.cost_model.models import rate_card
from kcloud_analyzer.cost_model import realtime

FEATURES = ('const', 'cpu_cores', 'memory_gb', 'accelerator_list_price',
            'accelerator_busy_kw', 'cpu_busy_cores', 'is_inference',
            'is_serving')
FORMAT_VERSION = 1


#: the shares an untyped workload's class indicators take when a model
#: file holds none
UNIFORM_SHARES = {'inference': 1.0 / 3.0, 'serving': 1.0 / 3.0}


def class_shares(requests):
    """Shares of inference and serving among the rows of a known class
    (None when no row has one)."""
    kind = requests['type'].astype(object).to_numpy()
    typed = np.isin(kind, metrics.WORKLOAD_TYPES)
    if not typed.any():
        return None
    return {label: float(np.mean(kind[typed] == label))
            for label in ('inference', 'serving')}


def design(requests, card, shares=None):
    """The feature matrix (DataFrame, columns :data:`FEATURES`).

    :param shares: the class indicators of a row without a known class
        (:func:`class_shares`); 0 when None.
    """
    count, price, watts, kinds = rate_card.accelerator_columns(requests,
                                                               card)
    util = np.where(np.array(kinds) == 'npu',
                    rate_card.used_share(requests, metrics.NPU_UTILIZATION),
                    rate_card.used_share(requests, metrics.GPU_UTILIZATION))
    cores = requests['cpu_cores'].to_numpy(dtype=float)
    workload_type = requests['type'].astype(object).to_numpy()
    untyped = ~np.isin(workload_type, metrics.WORKLOAD_TYPES)
    shares = shares or {}

    def indicator(label):
        return np.where(untyped, shares.get(label, 0.0),
                        (workload_type == label).astype(float))

    return pd.DataFrame({
        'const': 1.0,
        'cpu_cores': cores,
        'memory_gb': requests['memory_gb'].to_numpy(dtype=float),
        'accelerator_list_price': count * price,
        'accelerator_busy_kw': count * watts / 1000.0 * util,
        'cpu_busy_cores': cores * rate_card.used_share(
            requests, metrics.CPU_UTILIZATION),
        'is_inference': indicator('inference'),
        'is_serving': indicator('serving'),
    }, columns=list(FEATURES))


def independent_features(matrix):
    """Features in :data:`FEATURES` order, each kept only if it adds rank.

    A fleet of a few workloads makes some features exact combinations of
    others (or constant); leaving them out keeps the fit and its
    covariance well defined.
    """
    kept = []
    for name in FEATURES:
        trial = matrix[kept + [name]].to_numpy(dtype=float)
        if np.linalg.matrix_rank(trial) == len(kept) + 1:
            kept.append(name)
    return kept


def training_rows(workloads, usage, costs):
    """One request row per workload-hour, and the cost per hour it had."""
    hourly = realtime.hourly_means(usage).reset_index()
    rows = costs[['workload_id', 'hour', 'cost_per_hour']].merge(
        hourly, on=['workload_id', 'hour'], how='left').merge(
        workloads[['workload_id', *base.REQUEST_COLUMNS]],
        on='workload_id', how='left')
    return base.normalise_requests(rows), rows['cost_per_hour'].to_numpy(
        dtype=float)


class LinearRegressionModel(base.CostModel):
    name = 'linear_regression'
    trainable = True

    def __init__(self, conf, card=None):
        super().__init__(conf, card)
        self.params = None

    def fit(self, workloads, usage, costs):
        """Fit; hold out the last fifth of the hours first to score it.

        :returns: statistics: ``nobs``, ``rsquared``, ``rsquared_adj``,
            ``rmse``, ``aic``, and on the held-out hours ``holdout_wape``
            and ``holdout_interval_coverage``.
        """
        requests, target = training_rows(workloads, usage, costs)
        if target.size < len(FEATURES) + 2:
            raise ValueError(f'{target.size} workload-hours are too few to '
                             'fit the cost model')
        hours = costs['hour'].to_numpy()
        cut = np.sort(np.unique(hours))[int(0.8 * np.unique(hours).size)]
        early = hours < cut
        scores = {}
        if early.sum() > len(FEATURES) + 2 and (~early).any():
            self._fit_rows(requests[early], target[early])
            point, lower, upper = self.predict_hourly(
                requests[~early].reset_index(drop=True))
            actual = target[~early]
            scores['holdout_wape'] = float(
                np.abs(actual - point).sum() / np.abs(actual).sum())
            scores['holdout_interval_coverage'] = float(
                ((actual >= lower) & (actual <= upper)).mean())
        result = self._fit_rows(requests, target)
        scores.update({
            'nobs': int(result.nobs),
            'rsquared': float(result.rsquared),
            'rsquared_adj': float(result.rsquared_adj),
            'rmse': float(np.sqrt(result.scale)),
            'aic': float(result.aic),
            'features': self.params['features'],
        })
        self.params['statistics'] = scores
        return scores

    def _fit_rows(self, requests, target):
        requests = requests.reset_index(drop=True)
        shares = class_shares(requests)
        matrix = design(requests, self.card, shares)
        kept = independent_features(matrix)
        result = linear_model.OLS(target, matrix[kept]).fit()
        self.params = {
            'format': FORMAT_VERSION,
            'features': kept,
            'class_shares': shares,
            'coefficients': [float(v) for v in result.params],
            'covariance': np.asarray(result.cov_params()).tolist(),
            'scale': float(result.scale),
            'df_resid': float(result.df_resid),
            'currency': self.card.currency,
            'rate_card_version': self.card.version,
            'trained_at': datetime.datetime.now(
                datetime.timezone.utc).isoformat(),
        }
        return result

    def predict_hourly(self, requests):
        if self.params is None:
            raise base.ModelNotTrained(
                'the linear_regression cost model is not trained; run '
                'kcloud-analyzer-train-cost-model')
        shares = self.params.get('class_shares') or UNIFORM_SHARES
        matrix = design(requests, self.card, shares)[
            self.params['features']].to_numpy(dtype=float)
        coefficients = np.asarray(self.params['coefficients'])
        covariance = np.asarray(self.params['covariance'])
        point = matrix @ coefficients
        variance = (np.einsum('ij,jk,ik->i', matrix, covariance, matrix) +
                    self.params['scale'])
        spread = stats.t.ppf(0.5 + base.INTERVAL_LEVEL / 2.0,
                             self.params['df_resid']) * np.sqrt(variance)
        return (np.maximum(point, 0.0), np.maximum(point - spread, 0.0),
                np.maximum(point + spread, 0.0))

    def to_dict(self):
        if self.params is None:
            raise base.ModelNotTrained('nothing to save: not trained')
        return dict(self.params, name=self.name, version=self.version)

    def from_dict(self, data):
        if data.get('name') != self.name or data.get(
                'format') != FORMAT_VERSION:
            raise ValueError('not a linear_regression cost model file of '
                             f'format {FORMAT_VERSION}')
        self.params = {k: v for k, v in data.items()
                       if k not in ('name', 'version')}
        self.version = data.get('version')
