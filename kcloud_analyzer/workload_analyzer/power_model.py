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
"""Accelerator power estimated from utilisation, where none is measured.

A workload without any power series (no ``power_watts``, no
``accelerator_power_watts``) still draws power. Its accelerators' power is
estimated, per device, from its utilisation samples with a curve per
accelerator model::

    watts = idle_w + (busy_w - idle_w) x utilisation / 100

``idle_w`` and ``busy_w`` are fitted on public measurements (AcmeTrace
fleet distributions for the A100, Zeus training runs, ML.ENERGY serving
runs; ``tools/eval/power_model_eval.py`` fits them, writes
``data/accelerator_power.yaml`` and prints the error on held-out
measurements). ``busy_w`` is the mean power of a busy device, not its
board power: busy GPUs rarely draw their TDP.

For a model without a curve, or a workload without a utilisation sample,
the rate card's ``power_watts`` of the model (typical board power) is the
fallback, held constant at the instants the workload was seen. Every
figure computed here is an estimate and is reported as one.
"""

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics
from kcloud_analyzer.common import power_curves
from kcloud_analyzer.common import usage_codes

#: how an estimated power series was made
SOURCE_CURVE = 'utilization_curve'
SOURCE_RATE_CARD = 'rate_card_power_watts'

_UTILIZATION = {'gpu': metrics.GPU_UTILIZATION,
                'npu': metrics.NPU_UTILIZATION}

#: the packaged curves: ``{model lower case: (idle_w, busy_w)}``
default_curves = power_curves.default_curves


def _any_to_estimate(workloads, card, powered):
    """Whether a workload has accelerators of a known kind and no power
    measured: the frames below are made only then (usually every workload
    of a batch measures its power)."""
    kinds = {name.lower(): acc.kind for name, acc in card.accelerators.items()}
    kind = np.array([kinds.get(model.lower()) if isinstance(model, str)
                     else None for model in workloads['accelerator']],
                    dtype=object)
    count = np.where(kind == 'gpu', workloads['gpu_count'],
                     np.where(kind == 'npu', workloads['npu_count'], 0))
    return bool(((count > 0) & ~pd.Index(
        workloads['workload_id'], dtype=object).isin(powered)).any())


def estimate_power(usage, workloads, card, curves=None):
    """Estimated accelerator power of the workloads that measured none.

    :param usage: long frame ``workload_id, timestamp, metric, value``,
        or its :class:`~kcloud_analyzer.common.usage_codes.UsageCodes`.
    :param workloads: frame with ``workload_id, gpu_count, npu_count,
        accelerator``.
    :param card: the rate card (kinds and ``power_watts`` of the models).
    :param curves: ``{model lower case: (idle_w, busy_w)}``; the packaged
        ones by default.
    :returns: long frame ``workload_id, timestamp, value, source`` (W for
        all the workload's accelerators; ``source`` is
        :data:`SOURCE_CURVE` or :data:`SOURCE_RATE_CARD`).
    """
    curves = default_curves() if curves is None else curves
    columns = ['workload_id', 'timestamp', 'value', 'source']
    coded = usage_codes.UsageCodes.of(usage)
    powered = coded.workload_names[coded.has_metric(
        metrics.POWER_WATTS, metrics.ACCELERATOR_POWER_WATTS)]
    if not _any_to_estimate(workloads, card, powered):
        return pd.DataFrame(columns=columns)
    lower = workloads['accelerator'].astype(object).str.lower()
    kind = lower.map({name.lower(): acc.kind
                      for name, acc in card.accelerators.items()})
    count = np.where(kind == 'gpu', workloads['gpu_count'],
                     np.where(kind == 'npu', workloads['npu_count'], 0))
    chosen = workloads.assign(lower=lower, kind=kind, count=count)
    chosen = chosen.loc[(chosen['count'] > 0) & ~chosen['workload_id'].isin(
        powered)]
    if chosen.empty:
        return pd.DataFrame(columns=columns)
    curve = chosen['lower'].map(curves)
    chosen = chosen.assign(
        idle=curve.map(lambda c: c[0], na_action='ignore'),
        busy=curve.map(lambda c: c[1], na_action='ignore'),
        utilization=chosen['kind'].map(_UTILIZATION),
        board=chosen['lower'].map({
            name.lower(): acc.power_watts
            for name, acc in card.accelerators.items()}))
    # Only the rows of the chosen workloads are read from here on.
    seen = coded.frame.loc[coded.of_workloads(pd.Index(
        coded.workload_names, dtype=object).isin(chosen['workload_id']))]
    seen = seen.astype({name: object for name in ('workload_id', 'metric')
                        if isinstance(seen[name].dtype, pd.CategoricalDtype)})

    samples = seen.merge(chosen[['workload_id', 'utilization', 'idle',
                                 'busy', 'count']],
                         left_on=['workload_id', 'metric'],
                         right_on=['workload_id', 'utilization'])
    samples = samples.loc[samples['idle'].notna()]
    share = np.clip(samples['value'].to_numpy(dtype=float), 0, 100) / 100
    by_curve = pd.DataFrame({
        'workload_id': samples['workload_id'].to_numpy(),
        'timestamp': samples['timestamp'].to_numpy(),
        'value': samples['count'].to_numpy(dtype=float) * (
            samples['idle'].to_numpy(dtype=float) + share * (
                samples['busy'].to_numpy(dtype=float)
                - samples['idle'].to_numpy(dtype=float))),
        'source': SOURCE_CURVE})

    rest = chosen.loc[~chosen['workload_id'].isin(by_curve['workload_id'])
                      & chosen['board'].notna()]
    instants = seen.loc[seen['workload_id'].isin(rest['workload_id']),
                        ['workload_id', 'timestamp']].drop_duplicates()
    instants = instants.merge(rest[['workload_id', 'board', 'count']],
                              on='workload_id')
    by_card = pd.DataFrame({
        'workload_id': instants['workload_id'].to_numpy(),
        'timestamp': instants['timestamp'].to_numpy(),
        'value': (instants['count'].to_numpy(dtype=float)
                  * instants['board'].to_numpy(dtype=float)),
        'source': SOURCE_RATE_CARD})
    frame = pd.concat([by_curve, by_card], ignore_index=True)
    frame['timestamp'] = pd.to_datetime(frame['timestamp'], utc=True)
    return frame[columns]
