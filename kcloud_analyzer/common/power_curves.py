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
"""The packaged power curves of accelerator models.

``kcloud_analyzer/data/accelerator_power.yaml`` holds, per model, the mean
power of an idle device (``idle_w``) and of a busy one (``busy_w``), fitted
on public measurements by ``tools/eval/power_model_eval.py``. A device at
utilisation ``u`` (0-100) draws about::

    watts = idle_w + (busy_w - idle_w) x u / 100

The workload analyzer estimates unmeasured power with them
(:mod:`kcloud_analyzer.workload_analyzer.power_model`) and the cost model
the energy a recommendation saves
(:mod:`kcloud_analyzer.cost_model.recommendations`).
"""

import functools
import importlib.resources

import yaml


@functools.cache
def default_curves():
    """``{model lower case: (idle_w, busy_w)}``."""
    path = importlib.resources.files('kcloud_analyzer').joinpath(
        'data', 'accelerator_power.yaml')
    document = yaml.safe_load(path.read_text(encoding='utf-8'))
    return {name.lower(): (float(spec['idle_w']), float(spec['busy_w']))
            for name, spec in document['models'].items()}


def curve(model):
    """``(idle_w, busy_w)`` of one device of ``model``, or None."""
    if not isinstance(model, str):
        return None
    return default_curves().get(model.lower())


def watts(model, utilization):
    """Power of one device of ``model`` at ``utilization`` % (clipped to
    0-100), or None for a model without a curve."""
    found = curve(model)
    if found is None:
        return None
    idle, busy = found
    share = min(max(float(utilization), 0.0), 100.0) / 100.0
    return idle + (busy - idle) * share
