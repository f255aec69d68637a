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

from oslo_config import cfg
import pytest

from kcloud_analyzer.conf import cost_model as cost_model_opts
from kcloud_analyzer.cost_model import models
from kcloud_analyzer.cost_model.models import linear_regression
from kcloud_analyzer.cost_model.models import rate_card


def _conf(**overrides):
    conf = cfg.ConfigOpts()
    cost_model_opts.register_opts(conf)
    conf([])
    for name, value in overrides.items():
        conf.set_override(name, value, group='cost_model')
    return conf


def test_configured_plugin_is_loaded_with_conf():
    conf = _conf()
    model = models.get_cost_model(conf)
    assert isinstance(model, linear_regression.LinearRegressionModel)
    assert model.conf is conf


def test_plugin_by_name_reads_the_configured_card():
    model = models.get_cost_model(_conf(), 'rate_card')
    assert isinstance(model, rate_card.RateCardModel)
    assert model.card.currency == 'USD'    # the packaged example card


def test_unknown_plugin_is_a_clear_error():
    with pytest.raises(models.UnknownCostModel, match='xgboost'):
        models.get_cost_model(_conf(type='xgboost'))
