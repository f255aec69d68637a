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
"""GPU power limits for training: energy saved against time lost.

The curves (``kcloud_analyzer/data/power_cap_curves.yaml``) come from the
Zeus measurements of DNN training at every power limit of four GPU models
(see ``tools/eval/power_cap_curves.py``): at a limit given as a fraction of
the GPU's highest one, the median slowdown (time per epoch relative to the
highest limit), its 90th percentile and the median energy ratio (energy
per epoch, same relation). A GPU model without measurements of its own
reads the ``pooled`` curve of all of them.

The best limit is the one with the lowest energy per unit of training work
among those whose median slowdown stays within the bound: with ``share``
the part of the workload's billed energy drawn by its GPUs, the energy of
the same work at a limit is ``share x energy_ratio + (1 - share) x
slowdown`` of today's (the rest of the host runs longer).
"""

import dataclasses
import functools
import importlib.resources

import numpy as np
import yaml

POOLED = 'pooled'
#: the largest median slowdown a recommended limit may cost
MAX_SLOWDOWN = 0.10


@dataclasses.dataclass(frozen=True)
class CapPoint:
    fraction: float
    slowdown: float
    slowdown_p90: float
    energy_ratio: float
    configurations: int


@dataclasses.dataclass(frozen=True)
class Curve:
    name: str
    max_power_limit_w: float | None
    points: tuple


def curves_path():
    return importlib.resources.files('kcloud_analyzer').joinpath(
        'data', 'power_cap_curves.yaml')


@functools.cache
def load_curves():
    """{lower-case model name: :class:`Curve`} from the shipped file."""
    document = yaml.safe_load(curves_path().read_text(encoding='utf-8'))
    curves = {}
    for name, spec in document['models'].items():
        curves[name.lower()] = Curve(
            name=name, max_power_limit_w=spec.get('max_power_limit_w'),
            points=tuple(CapPoint(**point) for point in spec['points']))
    return curves


def curve_for(model):
    """The measured curve of ``model``, or the pooled one."""
    curves = load_curves()
    return curves.get(str(model).lower(), curves[POOLED])


def relative_energy(point, share):
    """Energy of the same work at ``point``, as a share of today's."""
    return share * point.energy_ratio + (1.0 - share) * point.slowdown


def best_cap(curve, share=1.0, max_slowdown=MAX_SLOWDOWN):
    """The :class:`CapPoint` that saves the most energy within the
    slowdown bound, or None when no limit below the highest saves any."""
    allowed = [p for p in curve.points
               if p.fraction < 1.0 and p.slowdown <= 1.0 + max_slowdown]
    if not allowed:
        return None
    best = min(allowed, key=lambda p: (relative_energy(p, share),
                                       p.slowdown))
    return best if relative_energy(best, share) < 1.0 else None


def accelerator_energy_share(row, card):
    """The part of the billed energy drawn by the GPUs: measured board
    power over measured host power; all of it when only board power (or
    no host power) is known; with host power alone, the card's board power
    x the mean utilisation over the host power."""
    host = row['host_power_mean']
    if np.isnan(host) or host <= 0:
        return 1.0
    board = row['accelerator_power_mean']
    if np.isnan(board):
        model = card.accelerator(row['accelerator'])
        if model is None or model.power_watts is None:
            return None
        utilisation = row['accelerator_util_mean']
        busy = 1.0 if np.isnan(utilisation) else utilisation / 100.0
        board = row['gpu_count'] * model.power_watts * busy
    return float(min(1.0, board / host))
