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
"""``kcloud-analyzer-manage analyze``: classify and profile offline CSVs.

::

    kcloud-analyzer-manage analyze --workloads workloads.csv \\
        --usage usage.csv [--format table|json] [--classifier rules]

Prints each workload's class, confidence and the features that decided
it, with a summary of its resource and energy profiles. A workload with
accelerators and no measured power gets the estimate the agent and the
API bill (:mod:`~kcloud_analyzer.workload_analyzer.power_model`, with the
rate card of ``[cost_model] rate_card_file``): all of its energy is then
``estimated_energy_kwh``, ``energy_kwh`` (measured) stays empty and
``power_estimate`` says how it was estimated (``assumed_accelerator``
names the card's default model taken for accelerators counted without
one). A malformed file is refused with ``file:line: reason`` and exit
status 2.
"""

import json
import math
import sys

from kcloud_analyzer.common import lazy
from kcloud_analyzer.common import metrics

# Loaded when a command runs, not for --help.
(np, pd, tqdm, offline, utils, classifiers, features_lib, profile,
 series_lib, power_model, ratecard, energy_billing) = lazy.load_all(
    'numpy', 'pandas', 'tqdm', 'kcloud_analyzer.common.offline',
    'kcloud_analyzer.common.utils',
    'kcloud_analyzer.workload_analyzer.classifiers',
    'kcloud_analyzer.workload_analyzer.features',
    'kcloud_analyzer.workload_analyzer.profile',
    'kcloud_analyzer.workload_analyzer.series',
    'kcloud_analyzer.workload_analyzer.power_model',
    'kcloud_analyzer.cost_model.ratecard',
    'kcloud_analyzer.cost_model.energy_billing')

#: Workloads analysed per block; more than one block shows a progress bar.
CHUNK_ROWS = 2000

def _profile_summary():
    """(output name, profile column) of the summary."""
    figures = (
        ('gpu_utilization_mean', metrics.GPU_UTILIZATION, 'mean'),
        ('gpu_utilization_p95', metrics.GPU_UTILIZATION, 'p95'),
        ('npu_utilization_mean', metrics.NPU_UTILIZATION, 'mean'),
        ('cpu_utilization_mean', metrics.CPU_UTILIZATION, 'mean'),
        ('memory_utilization_mean', metrics.MEMORY_UTILIZATION, 'mean'),
    )
    plain = ('gpus_allocated', 'gpus_used', 'npus_allocated', 'npus_used',
             'burstiness', 'dominant_period_s', 'diurnal_strength',
             'observed_hours')
    return tuple((name, profile.column(metric, figure))
                 for name, metric, figure in figures) + tuple(
        (name, name) for name in plain)


_ENERGY_SUMMARY = ('power_source', 'energy_kwh', 'estimated_energy_kwh',
                   'coverage', 'average_power_w', 'peak_power_w',
                   'idle_energy_share', 'power_pattern', 'power_cov',
                   'power_near_idle_share', 'power_periodicity_strength')

#: how the energy of a workload without measured power was estimated
_ESTIMATE = ('power_estimate', 'assumed_accelerator')


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'analyze',
        help='Classify workloads as training, inference or serving and '
             'summarise their resource and energy profiles, from the '
             'offline workloads.csv and usage.csv files.')
    parser.add_argument('--workloads', required=True,
                        help='workloads.csv: workload_id,type,cpu_cores,'
                             'memory_gb,gpu_count,npu_count,accelerator,'
                             'project_id (.csv.gz accepted).')
    parser.add_argument('--usage', required=True,
                        help='usage.csv in long form: workload_id,'
                             'timestamp,metric,value (.csv.gz accepted).')
    parser.add_argument('--format', choices=('table', 'json'),
                        default='table', help='Output format.')
    parser.add_argument('--classifier', default=None,
                        help='Classifier plugin to use instead of '
                             '[workload_classifier] type.')
    parser.set_defaults(action_fn=analyze)


def _unknown_workloads(usage, workloads, path):
    known = usage['workload_id'].isin(workloads['workload_id']).to_numpy()
    if not known.all():
        row = int(np.argmin(known))
        raise offline.InputError(
            path, row + 2,
            f'workload_id {usage["workload_id"].iloc[row]!r} is not in the '
            'workloads file')


def estimated_energy(usage, workloads, card):
    """Energy of the workloads without measured power, from the estimated
    power the cost records are billed on: a frame indexed by workload
    with ``estimated_energy_kwh`` (the same kWh as their cost records),
    ``average_power_w``, ``peak_power_w`` and ``power_estimate`` (the
    estimate's source)."""
    workloads, assumed = assume_accelerators(workloads, card)
    power = power_model.estimate_power(usage, workloads, card)
    columns = ['estimated_energy_kwh', 'average_power_w', 'peak_power_w',
               'power_estimate', 'assumed_accelerator']
    if power.empty:
        return pd.DataFrame(columns=columns)
    hourly = energy_billing.hourly_energy(usage, card, power)
    kwh = hourly['energy_kwh'].groupby(level='workload_id').sum()
    per = power.groupby('workload_id')
    frame = pd.DataFrame({'average_power_w': per['value'].mean(),
                          'peak_power_w': per['value'].max(),
                          'power_estimate': per['source'].first()})
    frame['estimated_energy_kwh'] = kwh.reindex(frame.index)
    frame['assumed_accelerator'] = assumed.reindex(frame.index)
    return frame[columns]


def assume_accelerators(workloads, card):
    """Accelerators counted without a model (blank, or only ``gpu`` /
    ``npu``) take the rate card's default model of that kind, as the API
    does; returns the workloads with the model filled in and the model
    assumed per workload id (None where the file named one)."""
    named = workloads['accelerator'].astype(object)
    lower = named.fillna('').astype(str).str.strip().str.lower()
    listed = {name.lower() for name in card.accelerators}
    assumed = pd.Series(None, index=workloads.index, dtype=object)
    for kind in ('gpu', 'npu'):
        model = card.default_accelerator(kind)
        chosen = ((workloads[f'{kind}_count'] > 0) & assumed.isna() &
                  lower.isin(('', 'gpu', 'npu')) & ~lower.isin(listed))
        if model is not None and chosen.any():
            assumed[chosen] = model
    filled = workloads.assign(accelerator=assumed.where(assumed.notna(),
                                                        named))
    return filled, pd.Series(assumed.to_numpy(),
                             index=workloads['workload_id'].to_numpy())


def _with_estimates(energies, workloads, estimates):
    """``energies`` (in the order of ``workloads``) with the estimated
    figures of the workloads that measured no power."""
    energies = energies.reset_index(drop=True).copy()
    energies['power_estimate'] = None
    energies['assumed_accelerator'] = None
    if estimates is None or estimates.empty:
        return energies
    rows = pd.Series(np.arange(len(workloads)),
                     index=workloads['workload_id'].to_numpy())
    positions = rows.reindex(estimates.index).dropna().astype(int)
    chosen = estimates.loc[positions.index]
    filled = ('estimated_energy_kwh', 'average_power_w', 'peak_power_w',
              'power_estimate', 'assumed_accelerator')
    energies = energies.astype(dict.fromkeys(filled + ('power_source',),
                                             object))
    for name in filled:
        energies.loc[positions.to_numpy(), name] = chosen[name].to_numpy()
    energies.loc[positions.to_numpy(), 'power_source'] = 'estimated'
    return energies


def build_records(workloads, series, resources, energies, predictions,
                  estimates=None):
    """One dict per workload, in the order of ``workloads``; ``estimates``
    (:func:`estimated_energy`) fill the energy of workloads that measured
    no power."""
    energies = _with_estimates(energies, workloads, estimates)
    reported = np.zeros((len(series), len(metrics.CANONICAL_METRICS)),
                        dtype=bool)
    for position, metric in enumerate(metrics.CANONICAL_METRICS):
        block = series.block(metric)
        if block is not None:
            reported[:, position] = block.counts > 0
    names = np.asarray(metrics.CANONICAL_METRICS, dtype=object)
    plain = utils.json_ready
    records = []
    for position, workload_id in enumerate(workloads['workload_id']):
        has_samples = bool(reported[position].any())
        prediction = predictions.iloc[position]
        records.append({
            'workload_id': workload_id,
            'declared_type': plain(workloads['type'].iloc[position]),
            'workload_class': (prediction['workload_class']
                               if has_samples else None),
            'confidence': (plain(prediction['confidence'])
                           if has_samples else None),
            'deciding_features': (list(prediction['deciding_features'])
                                  if has_samples else []),
            'reason': (plain(prediction['reason']) if has_samples
                       else 'no samples'),
            'probabilities': ({k: float(v) for k, v in
                               prediction['probabilities'].items()}
                              if has_samples else None),
            'evidence': (list(prediction['evidence']) if has_samples
                         else []),
            'missing_metrics': names[~reported[position]].tolist(),
            'profile': {name: plain(resources[column].iloc[position])
                        for name, column in _profile_summary()},
            'energy': {name: plain(energies[name].iloc[position])
                       for name in _ENERGY_SUMMARY + _ESTIMATE},
        })
    return records


def _number(value, pattern):
    return '-' if value is None else format(value, pattern)


def format_table(records):
    width = max([len(str(r['workload_id'])) for r in records] + [11])
    header = (f'{"workload_id":<{width}} {"class":<9} {"conf":>5} '
              f'{"declared":<9} {"accel%":>6} {"p95%":>6} {"used/alloc":>11} '
              f'{"kWh":>10} {"est. kWh":>10} {"avg W":>8} {"pattern":<14} '
              'deciding features (or why unknown)')
    lines = [header, '-' * len(header)]
    for record in records:
        prof, power = record['profile'], record['energy']
        util = prof['gpu_utilization_mean']
        p95 = prof['gpu_utilization_p95']
        used, allocated = prof['gpus_used'], prof['gpus_allocated']
        if util is None and prof['npu_utilization_mean'] is not None:
            util = prof['npu_utilization_mean']
            used, allocated = prof['npus_used'], prof['npus_allocated']
        share = (f'{_number(used, ".1f")}/{_number(allocated, ".0f")}'
                 if allocated else '-')
        # As the cost table shows it: all the energy, and the part of it
        # that fills gaps in the measurements.
        total_kwh = power['estimated_energy_kwh']
        estimated_kwh = (None if total_kwh is None
                         else total_kwh - (power['energy_kwh'] or 0.0))
        explanation = (record['reason'] or ', '.join(
            record['deciding_features']) or '-')
        lines.append(
            f'{str(record["workload_id"]):<{width}} '
            f'{record["workload_class"] or "unknown":<9} '
            f'{_number(record["confidence"], ".2f"):>5} '
            f'{record["declared_type"] or "-":<9} '
            f'{_number(util, ".1f"):>6} {_number(p95, ".1f"):>6} '
            f'{share:>11} {_number(total_kwh, ".4f"):>10} '
            f'{_number(estimated_kwh, ".4f"):>10} '
            f'{_number(power["average_power_w"], ".0f"):>8} '
            f'{power["power_pattern"] or "-":<14} '
            f'{explanation}')
    return '\n'.join(lines)


def analyze(conf):
    args = conf.category
    try:
        workloads = offline.load_workloads(args.workloads)
        usage = offline.load_usage(args.usage)
        _unknown_workloads(usage, workloads, args.usage)
    except offline.InputError as exc:
        sys.stderr.write(f'{exc}\n')
        return 2
    try:
        card = ratecard.load_rate_card(conf.cost_model.rate_card_file)
    except ratecard.RateCardError as exc:
        sys.stderr.write(f'{conf.cost_model.rate_card_file}: {exc}\n')
        return 2
    estimates = estimated_energy(usage, workloads, card)

    coarse = series_lib.coarsen(usage)
    series = series_lib.from_usage(usage, workloads['workload_id'])
    # Classes are judged on samples at least FEATURE_STEP_S apart, as the
    # model was trained; profiles and energy keep every sample.
    coarse = (None if len(coarse) == len(usage) else
              series_lib.from_usage(coarse, workloads['workload_id']))
    del usage
    chunks = math.ceil(len(series) / CHUNK_ROWS)
    with tqdm.tqdm(total=len(series), unit='workload', file=sys.stderr,
                   disable=chunks <= 1, desc='Analysing') as bar:
        resources, energies, feature_frame = features_lib.analyze_in_chunks(
            series, workloads, chunk_rows=CHUNK_ROWS, on_chunk=bar.update)
    if coarse is not None:
        feature_frame = features_lib.analyze_in_chunks(
            coarse, workloads, chunk_rows=CHUNK_ROWS)[2]
    classifier = classifiers.get_classifier(conf, args.classifier)
    records = workloads.set_index('workload_id').loc[
        feature_frame.index, ['type']]
    predictions = classifier.predict(feature_frame, records=records)
    records = build_records(workloads, series, resources, energies,
                            predictions, estimates)
    if args.format == 'json':
        print(json.dumps({'classifier': classifier.name,
                          'workloads': records}, indent=2))
    else:
        print(f'Classifier: {classifier.name}')
        print(format_table(records))
    return 0
