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
"""Cost of every workload for every hour it was observed.

Inputs are the offline frame shapes of the design (``workloads`` with one
row per workload, ``usage`` in long form); the output is one row per
workload-hour with the breakdown lines

``compute``  vCPUs x vCPU-hour price + GB of RAM x GB-hour price
``gpu``      GPUs x accelerator-hour price of the workload's GPU model
``npu``      NPUs x accelerator-hour price of the workload's NPU model
``storage``  mean allocated GB in the hour x GB-month price / 730
``network``  egress bytes in the hour / 1e9 x price per GB out
``energy``   attributed kWh x PUE x electricity price of that hour

whose sum is ``cost_per_hour`` (the allocation basis: what was reserved).
The usage basis weights compute and accelerator lines by the measured
utilisation (``usage_compute``, ``usage_gpu``, ``usage_npu``); storage,
network and energy are measured use already. ``idle_cost`` is the
difference. A workload-hour without a utilisation sample is taken as fully
used, so idle cost is never claimed without evidence.

The energy of each workload-hour and its time-of-use price come from
:mod:`kcloud_analyzer.cost_model.energy_billing`.

All arithmetic is on float arrays; money rounding happens only in
:func:`to_records` and :func:`totals_to_records`, as stated in
:mod:`kcloud_analyzer.cost_model.ratecard`.
"""

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics
from kcloud_analyzer.cost_model import energy_billing
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.workload_analyzer import power_model

LINES = ('compute', 'gpu', 'npu', 'storage', 'network', 'energy')
USAGE_LINES = ('usage_compute', 'usage_gpu', 'usage_npu')
MONEY_COLUMNS = LINES + ('cost_per_hour',) + USAGE_LINES + (
    'usage_cost_per_hour', 'idle_cost')
_HOUR = pd.Timedelta(hours=1)
_HOUR_NS = _HOUR.value


class CostInputError(ValueError):
    """Workloads or usage that cannot be priced with the given card."""


def _hour_groups(workload_ids, timestamps):
    """Integer codes of (workload, hour) groups, with the group labels.

    Grouping through pandas on a string column and a time zone aware
    column dominated the cost of pricing; the keys are folded into one
    int64 here and factorised once.

    :returns: (codes per row, workload_id per group, hour per group)
    """
    workload_codes, workload_names = pd.factorize(workload_ids)
    hours = pd.DatetimeIndex(timestamps).as_unit('ns').asi8 // _HOUR_NS
    first = hours.min() if hours.size else 0
    span = (hours.max() - first + 1) if hours.size else 1
    codes, keys = pd.factorize(workload_codes * span + (hours - first))
    group_hours = pd.to_datetime((keys % span + first) * _HOUR_NS,
                                 utc=True)
    return codes, np.asarray(workload_names)[keys // span], group_hours


def hourly_means(usage):
    """Mean of every metric per (workload_id, hour); metrics as columns."""
    codes, workload_ids, hours = _hour_groups(usage['workload_id'],
                                              usage['timestamp'])
    metric_codes, metric_names = pd.factorize(usage['metric'])
    cells = codes * len(metric_names) + metric_codes
    size = len(workload_ids) * len(metric_names)
    values = usage['value'].to_numpy(dtype=float)
    sums = np.bincount(cells, weights=values, minlength=size)
    counts = np.bincount(cells, minlength=size)
    with np.errstate(invalid='ignore', divide='ignore'):
        means = np.where(counts > 0, sums / counts, np.nan)
    index = pd.MultiIndex.from_arrays([workload_ids, hours],
                                      names=['workload_id', 'hour'])
    columns = pd.Index(np.asarray(metric_names), name='metric')
    return pd.DataFrame(means.reshape(len(workload_ids), len(metric_names)),
                        index=index, columns=columns)


def _check_accelerators(frame, card):
    counts = frame['gpu_count'].to_numpy() + frame['npu_count'].to_numpy()
    models = frame['accelerator']
    kinds = {name.lower(): acc.kind for name, acc in card.accelerators.items()}
    lower = models.astype(object).str.lower()
    kind = lower.map(kinds)
    missing = (counts > 0) & kind.isna().to_numpy()
    if missing.any():
        row = frame.loc[missing].iloc[0]
        raise CostInputError(
            f'workload {row["workload_id"]!r} has accelerators but its model '
            f'{row["accelerator"]!r} is not in the rate card (known: '
            f'{", ".join(card.accelerators)})')
    wrong = (((kind == 'gpu') & (frame['npu_count'] > 0)) |
             ((kind == 'npu') & (frame['gpu_count'] > 0))).to_numpy()
    if wrong.any():
        row = frame.loc[wrong].iloc[0]
        raise CostInputError(
            f'workload {row["workload_id"]!r}: accelerator '
            f'{row["accelerator"]!r} is a {kind[wrong].iloc[0]} but the '
            'workload counts the other kind')
    return lower, kind


def _override_share(frame, override):
    """Fraction of each workload-hour that an override covers."""
    hour_ns = pd.DatetimeIndex(frame['hour']).as_unit('ns').asi8
    start = override.start.as_unit('ns').value
    end = (np.iinfo(np.int64).max if override.end is None
           else override.end.as_unit('ns').value)
    covered = (np.minimum(hour_ns + _HOUR_NS, end) -
               np.maximum(hour_ns, start))
    share = np.clip(covered / _HOUR_NS, 0.0, 1.0)
    return np.where(frame['project_id'].to_numpy() == override.project_id,
                    share, 0.0)


def _blend(prices, share, new_price):
    if new_price is None:
        return prices
    return prices * (1.0 - share) + float(new_price) * share


def _prices(frame, card, accelerator_lower):
    n = len(frame)
    known = {name.lower(): float(acc.hour)
             for name, acc in card.accelerators.items()}
    prices = {
        'vcpu': np.full(n, float(card.vcpu_hour)),
        'ram': np.full(n, float(card.ram_gb_hour)),
        'storage': np.full(n, float(card.storage_gb_month)),
        'network': np.full(n, float(card.network_egress_gb)),
        'accelerator': accelerator_lower.map(known).to_numpy(
            dtype=float, na_value=0.0),
    }
    # Overrides are few; the loop runs over them, never over samples. A
    # later override wins where two cover the same hour.
    for override in card.overrides:
        share = _override_share(frame, override)
        if not share.any():
            continue
        prices['vcpu'] = _blend(prices['vcpu'], share, override.vcpu_hour)
        prices['ram'] = _blend(prices['ram'], share, override.ram_gb_hour)
        prices['storage'] = _blend(prices['storage'], share,
                                   override.storage_gb_month)
        prices['network'] = _blend(prices['network'], share,
                                   override.network_egress_gb)
        for model, hour_price in override.accelerator_hour.items():
            model_share = np.where(
                (accelerator_lower == model).to_numpy(), share, 0.0)
            prices['accelerator'] = _blend(prices['accelerator'],
                                           model_share, hour_price)
    return prices


def _column(frame, name):
    if name in frame:
        return frame[name].to_numpy(dtype=float, na_value=np.nan)
    return np.full(len(frame), np.nan)


def _used_share(frame, metric):
    """Utilisation as a share of the allocation; unmeasured counts as 1."""
    share = _column(frame, metric) / 100.0
    return np.clip(np.where(np.isnan(share), 1.0, share), 0.0, 1.0)


def compute_costs(workloads, usage, card, power_curves=None):
    """Cost lines of every workload-hour present in ``usage``.

    :param workloads: frame with the columns of ``workloads.csv``.
    :param usage: long frame ``workload_id, timestamp (UTC), metric,
        value``.
    :param card: a :class:`~kcloud_analyzer.cost_model.ratecard.RateCard`.
    :param power_curves: accelerator power curves for the workloads
        without measured power (the packaged ones by default).
    :returns: DataFrame, one row per (workload_id, hour), with the columns
        ``workload_id, project_id, type, accelerator, hour``, the money
        columns of :data:`MONEY_COLUMNS` (floats, currency of the card,
        in ``attrs['currency']``), ``energy_kwh`` (billed, measured and
        estimated), ``estimated_kwh`` (the estimated part of it),
        ``power_estimate`` (how the power of a workload without any
        measured was estimated, see :mod:`~kcloud_analyzer.
        workload_analyzer.power_model`; None when measured),
        ``facility_kwh``, ``tariff_kwh``, ``carbon_kg_co2e``.
    :raises CostInputError: when usage names a workload that is not in
        ``workloads`` or an accelerator is missing from the card.
    """
    unknown = ~usage['workload_id'].isin(workloads['workload_id'])
    if unknown.any():
        first = usage.loc[unknown, 'workload_id'].iloc[0]
        raise CostInputError(
            f'usage names workload {first!r} which is not in the workloads')
    estimated_power = power_model.estimate_power(usage, workloads, card,
                                                 power_curves)
    means = hourly_means(usage)
    hourly = means.join(
        energy_billing.hourly_energy(usage, card, estimated_power),
        how='outer')
    # An hour is billed when the workload was seen in it: a sample of any
    # metric, or measured power held into it from the hour before. An
    # hour inside a gap has nothing measured and is not billed.
    seen = (hourly.index.isin(means.index) |
            (hourly['energy_kwh'] > hourly['estimated_kwh']).to_numpy())
    hourly = hourly.loc[seen]
    frame = hourly.reset_index().merge(
        workloads[['workload_id', 'project_id', 'type', 'cpu_cores',
                   'memory_gb', 'gpu_count', 'npu_count', 'accelerator']],
        on='workload_id', how='left', validate='many_to_one')
    frame = frame.sort_values(['workload_id', 'hour'],
                              kind='stable').reset_index(drop=True)
    accelerator_lower, kind = _check_accelerators(frame, card)
    prices = _prices(frame, card, accelerator_lower)

    cores = frame['cpu_cores'].to_numpy(dtype=float)
    memory = frame['memory_gb'].to_numpy(dtype=float)
    gpus = np.where(kind == 'gpu', frame['gpu_count'].to_numpy(dtype=float),
                    0.0)
    npus = np.where(kind == 'npu', frame['npu_count'].to_numpy(dtype=float),
                    0.0)
    cpu_cost = cores * prices['vcpu']
    ram_cost = memory * prices['ram']
    gpu_cost = gpus * prices['accelerator']
    npu_cost = npus * prices['accelerator']
    storage_gb = np.nan_to_num(_column(frame, metrics.STORAGE_GB))
    egress = np.nan_to_num(_column(frame, metrics.NETWORK_TX_BYTES_PER_S))
    kwh = np.nan_to_num(_column(frame, 'energy_kwh'))
    estimated_kwh = np.nan_to_num(_column(frame, 'estimated_kwh'))
    kwh_priced = np.nan_to_num(_column(frame, 'energy_kwh_priced'))

    out = frame[['workload_id', 'project_id', 'type', 'accelerator',
                 'hour']].copy()
    out['compute'] = cpu_cost + ram_cost
    out['gpu'] = gpu_cost
    out['npu'] = npu_cost
    out['storage'] = (storage_gb * prices['storage'] /
                      ratecard.HOURS_PER_MONTH)
    out['network'] = (egress * 3600.0 / ratecard.BYTES_PER_GB *
                      prices['network'])
    out['energy'] = kwh_priced * card.pue
    out['cost_per_hour'] = out[list(LINES)].sum(axis=1)
    out['usage_compute'] = (
        cpu_cost * _used_share(frame, metrics.CPU_UTILIZATION) +
        ram_cost * _used_share(frame, metrics.MEMORY_UTILIZATION))
    out['usage_gpu'] = gpu_cost * _used_share(frame, metrics.GPU_UTILIZATION)
    out['usage_npu'] = npu_cost * _used_share(frame, metrics.NPU_UTILIZATION)
    out['usage_cost_per_hour'] = (
        out[list(USAGE_LINES)].sum(axis=1) + out['storage'] +
        out['network'] + out['energy'])
    out['idle_cost'] = out['cost_per_hour'] - out['usage_cost_per_hour']
    out['energy_kwh'] = kwh
    out['estimated_kwh'] = estimated_kwh
    sources = estimated_power.drop_duplicates('workload_id').set_index(
        'workload_id')['source']
    out['power_estimate'] = out['workload_id'].map(sources).astype(object)
    out['facility_kwh'] = kwh * card.pue
    with np.errstate(invalid='ignore', divide='ignore'):
        out['tariff_kwh'] = np.where(kwh > 0, kwh_priced / kwh, np.nan)
    out['carbon_kg_co2e'] = kwh * card.pue * card.carbon_kg_per_kwh
    out.attrs['currency'] = card.currency
    return out


TOTAL_COLUMNS = LINES + ('cost', 'usage_cost', 'idle_cost', 'energy_kwh',
                         'estimated_kwh', 'carbon_kg_co2e')


def totals(costs, by='workload_id', start=None, end=None):
    """Sum hourly costs per workload or project over ``[start, end)``.

    :param by: ``'workload_id'`` (per instance) or ``'project_id'``.
    :returns: DataFrame indexed by ``by`` with the lines, ``cost``,
        ``usage_cost``, ``idle_cost``, ``energy_kwh``, ``carbon_kg_co2e``,
        ``hours``, ``first_hour`` and ``last_hour``.
    """
    window = np.ones(len(costs), dtype=bool)
    if start is not None:
        window &= (costs['hour'] >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        window &= (costs['hour'] < pd.Timestamp(end)).to_numpy()
    chosen = costs.loc[window].rename(columns={
        'cost_per_hour': 'cost', 'usage_cost_per_hour': 'usage_cost'})
    grouped = chosen.groupby(by, sort=True)
    result = grouped[list(TOTAL_COLUMNS)].sum()
    result['hours'] = grouped.size()
    result['first_hour'] = grouped['hour'].min()
    result['last_hour'] = grouped['hour'].max()
    result.attrs['currency'] = costs.attrs.get('currency')
    return result


def to_records(costs):
    """Hourly cost rows as dicts with Decimal money (the API shape)."""
    currency = costs.attrs.get('currency')
    money = {c: costs[c].to_numpy(dtype=float) for c in MONEY_COLUMNS}
    records = []
    for i, row in enumerate(costs[['workload_id', 'project_id', 'hour',
                                   'energy_kwh', 'estimated_kwh',
                                   'facility_kwh',
                                   'tariff_kwh',
                                   'carbon_kg_co2e']].itertuples(
                                       index=False)):
        records.append({
            'workload_id': row.workload_id,
            'project_id': row.project_id,
            'hour': row.hour.isoformat(),
            'currency': currency,
            'breakdown': {line: ratecard.to_money(money[line][i])
                          for line in LINES},
            'cost_per_hour': ratecard.to_money(money['cost_per_hour'][i]),
            'usage_basis': {
                'compute': ratecard.to_money(money['usage_compute'][i]),
                'gpu': ratecard.to_money(money['usage_gpu'][i]),
                'npu': ratecard.to_money(money['usage_npu'][i]),
                'cost_per_hour': ratecard.to_money(
                    money['usage_cost_per_hour'][i]),
            },
            'idle_cost': ratecard.to_money(money['idle_cost'][i]),
            'energy': {
                'kwh': float(row.energy_kwh),
                'estimated_kwh': float(row.estimated_kwh),
                'facility_kwh': float(row.facility_kwh),
                'tariff_per_kwh': (None if np.isnan(row.tariff_kwh)
                                   else ratecard.to_money(row.tariff_kwh)),
                'carbon_kg_co2e': float(row.carbon_kg_co2e),
            },
        })
    return records


def cost_record_rows(costs):
    """Rows for the cost_records table, both bases, from compute_costs.

    The allocation row carries the idle cost; the usage row has none.
    """
    hours = costs['hour'].dt.tz_convert('UTC').dt.tz_localize(None)
    common = pd.DataFrame({
        'workload_id': costs['workload_id'],
        'project_id': costs['project_id'],
        'hour': hours.dt.to_pydatetime(),
        'currency': costs.attrs['currency'],
        'workload_type': costs['type'],
        'accelerator': costs['accelerator'],
        'storage': costs['storage'],
        'network': costs['network'],
        'energy': costs['energy'],
        'energy_kwh': costs['energy_kwh'],
        'estimated_kwh': costs['estimated_kwh'],
        'carbon_kg': costs['carbon_kg_co2e'],
    })
    allocation = common.assign(
        basis='allocation', compute=costs['compute'], gpu=costs['gpu'],
        npu=costs['npu'], idle=costs['idle_cost'],
        total=costs['cost_per_hour'])
    usage = common.assign(
        basis='usage', compute=costs['usage_compute'],
        gpu=costs['usage_gpu'], npu=costs['usage_npu'], idle=0.0,
        total=costs['usage_cost_per_hour'])
    rows = pd.concat([allocation, usage], ignore_index=True)
    return rows.astype(object).where(rows.notna(), None).to_dict('records')


def totals_to_records(total_frame):
    """Window totals as dicts with Decimal money."""
    currency = total_frame.attrs.get('currency')
    key = total_frame.index.name
    records = []
    for ident, row in total_frame.iterrows():
        records.append({
            key: ident,
            'currency': currency,
            'hours': int(row['hours']),
            'first_hour': row['first_hour'].isoformat(),
            'last_hour': row['last_hour'].isoformat(),
            'breakdown': {line: ratecard.to_money(row[line])
                          for line in LINES},
            'cost': ratecard.to_money(row['cost']),
            'usage_cost': ratecard.to_money(row['usage_cost']),
            'idle_cost': ratecard.to_money(row['idle_cost']),
            'energy_kwh': float(row['energy_kwh']),
            'estimated_kwh': float(row['estimated_kwh']),
            'carbon_kg_co2e': float(row['carbon_kg_co2e']),
        })
    return records
