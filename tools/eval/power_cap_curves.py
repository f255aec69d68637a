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
"""Derive the GPU power-cap curves the ``power_cap`` advice reads.

Source: the Zeus (NSDI'23) measurements of DNN training at every power
limit (``zeus_gpu_power_profiles/summary_power_{a40,v100,rtx6000,p100}.csv``
under ``kcloud_analyzer.common.datasets.data_dir()``; Apache-2.0, You,
Chung and Chowdhury). Each row is one training configuration (dataset,
network, batch size, optimizer) at one power limit, with its time per
epoch and average power.

For every configuration, time and energy per epoch (average power x time)
are divided by those at the GPU's highest limit; the curve of a GPU model
gives, at each limit as a fraction of the highest, the median over its
configurations of the slowdown (time ratio), its 90th percentile, and the
median energy ratio. A ``pooled`` curve (every configuration of every GPU,
interpolated onto a grid of fractions) serves GPU models without
measurements of their own. Only these derived ratios are shipped, with the
attribution, in ``kcloud_analyzer/data/power_cap_curves.yaml``.

Run: ``.venv/bin/python tools/eval/power_cap_curves.py [--write]``
"""

import argparse
import sys

import numpy as np
import pandas as pd
import yaml

from kcloud_analyzer.common import datasets
from kcloud_analyzer.cost_model import power_cap

GPUS = {'A40': 'a40', 'V100': 'v100', 'RTX6000': 'rtx6000',
        'P100': 'p100'}
CONFIG = ['dataset', 'network', 'batch_size', 'optimizer']
#: fractions of the highest limit of the pooled curve
POOLED_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def ratios(frame):
    """Time and energy per epoch relative to the highest limit, per row."""
    frame = frame.copy()
    frame['energy'] = frame['average_power'] * frame['time_per_epoch']
    top = frame['power_limit'].max()
    reference = frame[frame['power_limit'] == top].groupby(CONFIG)[
        ['time_per_epoch', 'energy']].mean()
    frame = frame.merge(reference, left_on=CONFIG, right_index=True,
                        suffixes=('', '_top')).dropna()
    frame['fraction'] = frame['power_limit'] / top
    frame['slowdown'] = frame['time_per_epoch'] / frame['time_per_epoch_top']
    frame['energy_ratio'] = frame['energy'] / frame['energy_top']
    return frame


def curve(frame):
    grouped = frame.groupby('fraction')
    table = pd.DataFrame({
        'slowdown': grouped['slowdown'].median(),
        'slowdown_p90': grouped['slowdown'].quantile(0.9),
        'energy_ratio': grouped['energy_ratio'].median(),
        'configurations': grouped.size(),
    })
    return [{'fraction': round(float(f), 4),
             'slowdown': round(float(r.slowdown), 4),
             'slowdown_p90': round(float(r.slowdown_p90), 4),
             'energy_ratio': round(float(r.energy_ratio), 4),
             'configurations': int(r.configurations)}
            for f, r in table.iterrows()]


def pooled(frames):
    """Every configuration's ratios interpolated onto POOLED_GRID."""
    rows = []
    for frame in frames:
        for _, config in frame.groupby(CONFIG):
            config = config.groupby('fraction')[
                ['slowdown', 'energy_ratio']].mean().sort_index()
            fractions = config.index.to_numpy()
            for grid in POOLED_GRID:
                if grid < fractions.min():
                    continue
                rows.append({
                    'fraction': grid,
                    'slowdown': np.interp(grid, fractions,
                                          config['slowdown']),
                    'energy_ratio': np.interp(grid, fractions,
                                              config['energy_ratio'])})
    return curve(pd.DataFrame(rows))


def build(root):
    folder = root / 'zeus_gpu_power_profiles'
    models = {}
    frames = []
    for model, name in GPUS.items():
        frame = ratios(pd.read_csv(folder / f'summary_power_{name}.csv'))
        frames.append(frame)
        models[model] = {'max_power_limit_w': int(
            frame['power_limit'].max()), 'points': curve(frame)}
    models[power_cap.POOLED] = {'points': pooled(frames)}
    return {
        'description': (
            'Training slowdown and energy ratio of GPUs at power limits, '
            'as a fraction of the highest limit, relative to that limit. '
            'Derived by tools/eval/power_cap_curves.py --write from Zeus '
            '(NSDI\'23) measurements, ml-energy/zeus, Apache-2.0; cite '
            'You, Chung, Chowdhury, "Zeus", NSDI 2023.'),
        'models': models,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--write', action='store_true',
                        help='write kcloud_analyzer/data/'
                             'power_cap_curves.yaml')
    args = parser.parse_args(argv)
    document = build(datasets.data_dir())
    text = ('# Generated by tools/eval/power_cap_curves.py --write; derived '
            'from Zeus\n# (Apache-2.0), see that script.\n' +
            yaml.safe_dump(document, sort_keys=False, width=79))
    if args.write:
        power_cap.curves_path().write_text(text, encoding='utf-8')
    print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
