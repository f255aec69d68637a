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
"""Cost prediction plugins, loaded by name from kcloud_analyzer.cost_models."""

from stevedore import driver
from stevedore import exception as stevedore_exc

NAMESPACE = 'kcloud_analyzer.cost_models'

#: name of the trained cost models in the model_versions table (the agent
#: reads it to decide when to retrain); the plugin is in ``data['plugin']``
RECORD_NAME = 'cost_model'


class UnknownCostModel(ValueError):
    pass


def get_cost_model(conf, name=None, card=None):
    """Load the cost prediction plugin ``name`` (default: [cost_model] type).

    ``card`` replaces the configured rate card (e.g. one given on a
    command line).

    :raises UnknownCostModel: when no plugin has that name.
    """
    name = name or conf.cost_model.type
    try:
        manager = driver.DriverManager(NAMESPACE, name, invoke_on_load=True,
                                       invoke_args=(conf,),
                                       invoke_kwds={'card': card})
    except stevedore_exc.NoMatches:
        raise UnknownCostModel(
            f'no cost model plugin named {name!r} in {NAMESPACE}')
    return manager.driver


def load_latest(model, version_record):
    """Load the trained file a model_versions record points at.

    :param version_record: a dict from ``db.api.model_version_get_latest``
        for :data:`RECORD_NAME`; None, or a record of another plugin, leaves
        the model as it is (e.g. untrained).
    """
    if version_record is not None and (
            version_record['data'].get('plugin') == model.name):
        model.load(version_record['file'])
        model.version = version_record['version']
    return model
