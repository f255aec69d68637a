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
"""Fit the accelerator power curves and measure their error.

The curve of :mod:`kcloud_analyzer.workload_analyzer.power_model` is
``idle_w + (busy_w - idle_w) x utilisation / 100`` per device. No public
set here pairs a job's utilisation with its power sample by sample, so
each parameter is fitted where it is measured, and every error below is
measured on data left out of the fit:

* A100 (AcmeTrace, CC BY 4.0: fleet distributions of DCGM GPU_UTIL and
  POWER_USAGE of two clusters, Seren and Kalos): the lowest-power share of
  the GPUs that matches the share at 0 % utilisation gives ``idle_w``; the
  mean power and mean utilisation of the rest give the slope. Fitted on one
  cluster, the fleet's mean power is predicted from the other cluster's
  utilisation distribution and compared with its measured mean power.
* A40, V100, RTX6000, P100 (Zeus, Apache-2.0: average power of training
  runs at their highest power limit, where training keeps the GPU busy):
  ``busy_w`` is the mean of the runs of half the (dataset, network) pairs;
  the error is measured run by run on the other half.
* H100, B200 (ML.ENERGY v3, Apache-2.0: average power per GPU of serving
  configurations): ``busy_w`` is the mean over half the models; the error
  is measured configuration by configuration on the other half, taking the
  configurations as busy.
* ``idle_w`` of the models without an idle measurement is the A100's idle
  share of its busy power.

Each error is printed next to the error of a constant "typical board
power" (what a rate card's ``power_watts`` holds: the board's TDP here),
the fallback the analyzer used before. ``--write`` stores the curves fitted
on all the data in ``kcloud_analyzer/data/accelerator_power.yaml`` and the
figure in ``doc/source/user/power-model.svg``.

Run: ``.venv/bin/python tools/eval/power_model_eval.py [--write]``
"""

import argparse
import pathlib

import numpy as np
import pandas as pd
import yaml

from kcloud_analyzer.common import datasets

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: board power as vendors state it (TDP), the constant a rate card lists
TDP_W = {'A100': 400, 'H100': 700, 'B200': 1000, 'A40': 300, 'V100': 250,
         'RTX6000': 260, 'P100': 250}
ZEUS = {'A40': 'a40', 'V100': 'v100', 'RTX6000': 'rtx6000', 'P100': 'p100'}


def acme_fit(table, cluster):
    """(idle_w, slope_w_per_pct) from one cluster's distributions."""
    def curve(metric):
        rows = table[(table['cluster'] == cluster) &
                     (table['metric'] == metric)]
        return rows.sort_values('cdf_percent')['value'].to_numpy()
    util, power = curve('GPU_UTIL_pct'), curve('GPU_POWER_W_august')
    idle_share = np.mean(util < 1.0)
    cut = int(round(idle_share * len(power)))
    idle = power[:cut].mean()
    busy_power, busy_util = power[cut:].mean(), util[cut:].mean()
    return idle, (busy_power - idle) / busy_util, util, power


def evaluate_acme(table):
    rows = []
    fits = {}
    for fitted, held in (('Seren', 'Kalos'), ('Kalos', 'Seren')):
        idle, slope, _, _ = acme_fit(table, fitted)
        _, _, util, power = acme_fit(table, held)
        estimate = idle + slope * util.mean()
        measured = power.mean()
        rows.append(('A100', f'AcmeTrace {held} fleet mean (fit on '
                     f'{fitted})', measured, estimate,
                     abs(estimate - measured) / measured,
                     abs(TDP_W['A100'] - measured) / measured))
        fits[fitted] = (idle, slope)
    return rows, fits


def zeus_runs(root, name):
    frame = pd.read_csv(root / 'zeus_gpu_power_profiles' /
                        f'summary_power_{name}.csv')
    top = frame.loc[frame['power_limit'] == frame['power_limit'].max()]
    return top.assign(pair=top['dataset'] + '/' + top['network'])


def evaluate_split(model, frame, key, value, unit='runs'):
    """Fit busy power on half the groups, measure on the other half."""
    groups = np.sort(frame[key].unique())
    rows = []
    for part in (0, 1):
        fit_groups = groups[part::2]
        fitted = frame.loc[frame[key].isin(fit_groups), value].mean()
        held = frame.loc[~frame[key].isin(fit_groups), value].to_numpy()
        error = np.abs(fitted - held) / held
        constant = np.abs(TDP_W[model] - held) / held
        rows.append((model, f'{len(held)} held-out {unit}, half {part + 1}',
                     held.mean(), fitted, error.mean(), constant.mean()))
    return rows


def mlenergy(root):
    frame = pd.read_csv(root / 'mlenergy_inference_power_v3' /
                        'mlenergy_v3_configurations_flat.csv')
    return frame.assign(per_gpu=frame['avg_power_watts'] /
                        frame['num_gpus'])


def fit_all(root, table):
    idle, slope, _, _ = acme_fit(table, 'Seren')
    idle_k, slope_k, _, _ = acme_fit(table, 'Kalos')
    a100_idle = (idle + idle_k) / 2
    a100_busy = a100_idle + 100 * (slope + slope_k) / 2
    idle_share = a100_idle / a100_busy
    curves = {'A100': (a100_idle, a100_busy, 'AcmeTrace (CC BY 4.0)')}
    for model, name in ZEUS.items():
        busy = zeus_runs(root, name)['average_power'].mean()
        curves[model] = (idle_share * busy, busy, 'Zeus (Apache-2.0)')
    per_gpu = mlenergy(root)
    for model in ('H100', 'B200'):
        busy = per_gpu.loc[per_gpu['gpu_model'] == model, 'per_gpu'].mean()
        curves[model] = (idle_share * busy, busy, 'ML.ENERGY (Apache-2.0)')
    return curves


def svg(curves, path):
    """A small line chart of the curves, written by hand (no plotting
    library in the environment)."""
    width, height, left, bottom = 560, 320, 50, 40
    top_w = max(busy for _, busy, _ in curves.values()) * 1.1
    colours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
               '#8c564b', '#e377c2']

    def x(u):
        return left + u / 100 * (width - left - 120)

    def y(w):
        return height - bottom - w / top_w * (height - bottom - 10)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" font-family="sans-serif" font-size="11">',
             f'<line x1="{left}" y1="{y(0)}" x2="{x(100)}" y2="{y(0)}" '
             'stroke="black"/>',
             f'<line x1="{left}" y1="{y(0)}" x2="{left}" y2="{y(top_w)}" '
             'stroke="black"/>',
             f'<text x="{x(50)}" y="{height - 8}" text-anchor="middle">'
             'accelerator utilisation (%)</text>',
             f'<text x="12" y="{y(top_w / 2)}" transform="rotate(-90 12 '
             f'{y(top_w / 2)})" text-anchor="middle">power per device (W)'
             '</text>']
    for tick in range(0, 101, 25):
        parts.append(f'<text x="{x(tick)}" y="{y(0) + 14}" '
                     f'text-anchor="middle">{tick}</text>')
    for tick in range(0, int(top_w), 200):
        parts.append(f'<text x="{left - 4}" y="{y(tick) + 4}" '
                     f'text-anchor="end">{tick}</text>')
    for i, (model, (idle, busy, _)) in enumerate(sorted(
            curves.items(), key=lambda item: -item[1][1])):
        colour = colours[i % len(colours)]
        parts.append(f'<line x1="{x(0)}" y1="{y(idle):.1f}" x2="{x(100)}" '
                     f'y2="{y(busy):.1f}" stroke="{colour}" '
                     'stroke-width="2"/>')
        parts.append(f'<text x="{x(100) + 6}" y="{y(busy) + 4:.1f}" '
                     f'fill="{colour}">{model} {busy:.0f} W</text>')
    parts.append('</svg>')
    path.write_text('\n'.join(parts) + '\n', encoding='utf-8')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--write', action='store_true',
                        help='store the curves and the figure')
    args = parser.parse_args()
    root = datasets.data_dir()
    table = pd.read_csv(root / 'acme_shlab_llm_cluster_util_cdfs' /
                        'acme_util_cdfs_long.csv')
    rows, _ = evaluate_acme(table)
    for model, name in ZEUS.items():
        rows += evaluate_split(model, zeus_runs(root, name), 'pair',
                               'average_power')
    per_gpu = mlenergy(root)
    for model in ('H100', 'B200'):
        rows += evaluate_split(
            model, per_gpu.loc[per_gpu['gpu_model'] == model], 'model_id',
            'per_gpu', 'configurations')
    print(f'{"model":<8} {"held-out measurement":<42} {"measured W":>10} '
          f'{"curve W":>8} {"curve err":>9} {"TDP err":>8}')
    for model, what, measured, estimate, error, constant in rows:
        print(f'{model:<8} {what:<42} {measured:>10.1f} {estimate:>8.1f} '
              f'{error:>9.1%} {constant:>8.1%}')
    errors = np.array([r[4] for r in rows])
    constants = np.array([r[5] for r in rows])
    print(f'mean relative error: curve {errors.mean():.1%}, constant '
          f'board power {constants.mean():.1%}')
    curves = fit_all(root, table)
    for model, (idle, busy, source) in curves.items():
        print(f'{model:<8} idle {idle:6.1f} W  busy {busy:6.1f} W  '
              f'({source})')
    if args.write:
        document = {
            'description': 'Power per device of accelerator models: '
                           'idle_w at 0 % and busy_w at 100 % '
                           'utilisation, linear in between. Written by '
                           'tools/eval/power_model_eval.py --write.',
            'models': {model: {'idle_w': round(float(idle), 1),
                               'busy_w': round(float(busy), 1),
                               'source': source}
                       for model, (idle, busy, source) in curves.items()},
        }
        target = ROOT / 'kcloud_analyzer' / 'data' / 'accelerator_power.yaml'
        target.write_text(
            '# Generated by tools/eval/power_model_eval.py --write; fitted '
            'on public\n# measurements (see that script for the method and '
            'the errors).\n' + yaml.safe_dump(document, sort_keys=False),
            encoding='utf-8')
        svg(curves, ROOT / 'doc' / 'source' / 'user' / 'power-model.svg')
        print(f'wrote {target}')


if __name__ == '__main__':
    main()
