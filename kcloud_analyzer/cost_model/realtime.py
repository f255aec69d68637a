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
from kcloud_analyzer.common import usage_codes
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
    """The lower case model (NaN where there is none) and the kind of
    every workload's accelerator (``''`` where the card does not know
    it); object arrays. Raises when a workload counts accelerators of a model
    the card does not know, or of the other kind."""
    counts = frame['gpu_count'].to_numpy() + frame['npu_count'].to_numpy()
    kinds = {name.lower(): acc.kind for name, acc in card.accelerators.items()}
    # The frame has a row per workload, not per sample: a list pass over
    # a few hundred models costs less than pandas' string methods.
    lower = np.array([model.lower() if isinstance(model, str) else np.nan
                      for model in frame['accelerator'].to_numpy(
                          dtype=object)], dtype=object)
    kind = np.array([kinds.get(model, '') if isinstance(model, str) else ''
                     for model in lower], dtype=object)
    missing = (counts > 0) & (kind == '')
    if missing.any():
        row = frame.loc[missing].iloc[0]
        raise CostInputError(
            f'workload {row["workload_id"]!r} has accelerators but its model '
            f'{row["accelerator"]!r} is not in the rate card (known: '
            f'{", ".join(card.accelerators)})')
    wrong = (((kind == 'gpu') & (frame['npu_count'].to_numpy() > 0)) |
             ((kind == 'npu') & (frame['gpu_count'].to_numpy() > 0)))
    if wrong.any():
        row = frame.loc[wrong].iloc[0]
        raise CostInputError(
            f'workload {row["workload_id"]!r}: accelerator '
            f'{row["accelerator"]!r} is a {kind[wrong][0]} but the '
            'workload counts the other kind')
    return lower, kind


def _override_share(hour_ns, project_ids, override):
    """Fraction of each workload-hour that an override covers."""
    start = override.start.as_unit('ns').value
    end = (np.iinfo(np.int64).max if override.end is None
           else override.end.as_unit('ns').value)
    covered = (np.minimum(hour_ns + _HOUR_NS, end) -
               np.maximum(hour_ns, start))
    share = np.clip(covered / _HOUR_NS, 0.0, 1.0)
    return np.where(project_ids == override.project_id, share, 0.0)


def _blend(prices, share, new_price):
    if new_price is None:
        return prices
    return prices * (1.0 - share) + float(new_price) * share


def _prices(card, hour_ns, project_ids, accelerator_lower, accelerator_hour):
    """Prices of every workload-hour, overrides applied.

    :param hour_ns: int64 start of each hour.
    :param project_ids: object array, the project of each.
    :param accelerator_lower: object array, the lower case accelerator
        model of each.
    :param accelerator_hour: float array, the card's price of that model.
    """
    n = len(hour_ns)
    prices = {
        'vcpu': np.full(n, float(card.vcpu_hour)),
        'ram': np.full(n, float(card.ram_gb_hour)),
        'storage': np.full(n, float(card.storage_gb_month)),
        'network': np.full(n, float(card.network_egress_gb)),
        'accelerator': accelerator_hour,
    }
    # Overrides are few; the loop runs over them, never over samples. A
    # later override wins where two cover the same hour.
    for override in card.overrides:
        share = _override_share(hour_ns, project_ids, override)
        if not share.any():
            continue
        prices['vcpu'] = _blend(prices['vcpu'], share, override.vcpu_hour)
        prices['ram'] = _blend(prices['ram'], share, override.ram_gb_hour)
        prices['storage'] = _blend(prices['storage'], share,
                                   override.storage_gb_month)
        prices['network'] = _blend(prices['network'], share,
                                   override.network_egress_gb)
        for model, hour_price in override.accelerator_hour.items():
            model_share = np.where(accelerator_lower == model, share, 0.0)
            prices['accelerator'] = _blend(prices['accelerator'],
                                           model_share, hour_price)
    return prices


def _used_share(means):
    """Utilisation as a share of the allocation; unmeasured counts as 1."""
    share = means / 100.0
    return np.clip(np.where(np.isnan(share), 1.0, share), 0.0, 1.0)


def _row_sum(*columns):
    """Sum of float columns, NaN counting as 0 (``DataFrame.sum(axis=1)``,
    added in the same order)."""
    total = np.where(np.isnan(columns[0]), 0.0, columns[0])
    for column in columns[1:]:
        total = total + np.where(np.isnan(column), 0.0, column)
    return total


#: cells (workloads x hours x metrics) up to which the workload-hours
#: are counted on a dense grid (or four per usage row, if more); beyond,
#: on the keys present (a long, sparse window)
_DENSE_CELLS = 1 << 22

#: usage rows (about) summed at a time when the rows come hour after hour:
#: the slots of a part stay in the processor's caches
_PART_ROWS = 1 << 17


class _Cells:
    """Integer (workload, hour) cells of usage rows and energy pieces.

    A cell is ``workload code x span + hours since the first hour``; on a
    dense grid (the usual case: a batch of workloads over days) the cells
    are the keys themselves, otherwise the keys present are numbered.
    ``usage`` is the cell of every usage row times the number of metrics
    plus the row's metric code: the row's (cell, metric) slot.
    """

    def __init__(self, workloads, usage_ticks, ticks_per_hour, usage_metrics,
                 metric_count, piece_codes, piece_hours, count):
        # In the store's order (window after window) the rows come in
        # runs of one instant: the hour is worked out once a run.
        runs = usage_codes.runs(usage_ticks)
        if runs is not None:
            starts, stops, instants = runs
            self._runs = (instants // ticks_per_hour, starts, stops)
            ends = [f(self._runs[0]) for f in (np.min, np.max)]
        else:
            self._runs = None
            # floor division keeps the order: the least and greatest
            # hours are those of the least and greatest instants
            ends = [f(usage_ticks) // ticks_per_hour
                    for f in (np.min, np.max) if len(usage_ticks)]
        ends += [f(piece_hours) for f in (np.min, np.max)
                 if len(piece_hours)]
        self.first = np.int64(min(ends, default=0))
        self.span = np.int64(max(ends, default=0) - self.first + 1)
        piece_keys = piece_codes * self.span + (piece_hours - self.first)
        self.metric_count = metric_count = np.int64(max(metric_count, 1))
        self._rows = (workloads, usage_ticks, ticks_per_hour, usage_metrics)
        if count * self.span * metric_count <= max(
                _DENSE_CELLS, 4 * len(usage_ticks)):
            self.size = count * self.span
            self.count = count
            self.keys = None
            self.pieces = piece_keys
            self._farthest = max(np.abs(ends), default=0)
            self._usage = None
            return
        hours = self._hours(usage_ticks, ticks_per_hour, np.int64)
        hours -= self.first
        hours += workloads * self.span
        cells, self.keys = pd.factorize(np.concatenate([hours, piece_keys]))
        self.size = len(self.keys)
        self._usage = cells[:len(hours)] * metric_count
        self._usage += usage_metrics
        self.pieces = cells[len(hours):]

    @property
    def usage(self):
        """The (cell, metric) slot of every usage row (made when first
        asked for on a dense grid)."""
        if self._usage is None:
            workloads, ticks, ticks_per_hour, metrics = self._rows
            self._usage = self._dense_slots(
                workloads, ticks, ticks_per_hour, metrics,
                self.metric_count, self.count, self._farthest)
        return self._usage

    def sums_and_counts(self, values):
        """Sum of ``values`` (one a usage row) and number of rows per
        cell and metric: two arrays of ``size x metrics``.

        On a dense grid with the rows in runs of one instant, hour after
        hour (the store's order), they are summed a part of whole hours
        at a time, each part's slots made and counted while they are in
        the processor's caches: every slot's rows are in one part, added
        in the same order, so the sums are those of one ``bincount``
        over all the rows, to the bit.
        """
        metric_count = self.metric_count
        width = self.size * metric_count
        if (self.keys is None and self._runs is not None and
                self._usage is None and
                (np.diff(self._runs[0]) >= 0).all()):
            return self._sums_by_hours(values)
        sums = np.bincount(self.usage, weights=values, minlength=width)
        counts = np.bincount(self.usage, minlength=width)
        return (sums.reshape(self.size, metric_count),
                counts.reshape(self.size, metric_count))

    def _sums_by_hours(self, values):
        """:meth:`sums_and_counts` in parts of whole hours, rows hour
        after hour."""
        workloads, _, _, metrics = self._rows
        hours, starts, stops = self._runs
        metric_count, count = self.metric_count, self.count
        per_hour = count * metric_count
        sums = np.zeros((self.span, count, metric_count))
        counts = np.zeros((self.span, count, metric_count), dtype=np.intp)
        flat_sums, flat_counts = sums.reshape(-1), counts.reshape(-1)
        # parts of about _PART_ROWS rows, cut where a new hour starts
        new_hour = np.flatnonzero(hours[1:] != hours[:-1]) + 1
        cut = np.searchsorted(starts[new_hour],
                              np.arange(_PART_ROWS, len(values), _PART_ROWS))
        cut = np.unique(new_hour[cut[cut < len(new_hour)]])
        bounds = np.concatenate(([0], cut, [len(hours)])).tolist()
        for first_run, end_run in zip(bounds[:-1], bounds[1:], strict=True):
            begin, end = starts[first_run], stops[end_run - 1]
            low, high = hours[first_run], hours[end_run - 1]
            slots = np.repeat((hours[first_run:end_run] - low) * per_hour,
                              stops[first_run:end_run] -
                              starts[first_run:end_run])
            rest = workloads[begin:end].astype(np.intp)
            rest *= metric_count
            rest += metrics[begin:end]
            slots += rest
            size = (high - low + 1) * per_hour
            at = (low - self.first) * per_hour
            flat_sums[at:at + size] = np.bincount(
                slots, weights=values[begin:end], minlength=size)
            flat_counts[at:at + size] = np.bincount(slots, minlength=size)
        # workload after workload, as the cells are numbered
        shape = (self.size, metric_count)
        return (sums.transpose(1, 0, 2).reshape(shape),
                counts.transpose(1, 0, 2).reshape(shape))

    def _dense_slots(self, workloads, ticks, ticks_per_hour, metrics,
                     metric_count, count, farthest):
        """``(workload x span + hour - first) x metrics + metric`` of
        every row, as ``hour x metrics`` plus the rest, in as few passes
        over the rows as the integers allow: in int32 when the hours and
        slots fit it (made wider once, at the end), else in int64.

        :param farthest: the greatest absolute hour since the epoch.
        """
        stride = self.span * metric_count
        below = -self.first * metric_count
        fits = (farthest * metric_count + count * stride + metric_count
                < np.iinfo(np.int32).max)
        small = np.int32 if fits else np.int64
        slots = self._hours(ticks, ticks_per_hour, small, metric_count,
                            below)
        rest = workloads.astype(small)
        rest *= small(stride)
        rest += metrics
        slots += rest
        return slots.astype(np.intp) if fits else slots

    def _hours(self, ticks, ticks_per_hour, dtype, scale=1, offset=0):
        """``hour x scale + offset`` of every row (the hour since the
        epoch), a new array of ``dtype`` (which holds them): worked out
        once a run of one instant when there are few, else with one floor
        division a row."""
        if self._runs is not None:
            hours, starts, stops = self._runs
            hours = hours * scale
            hours += offset
            return np.repeat(hours.astype(dtype), stops - starts)
        if dtype == np.int64:
            hours = ticks // ticks_per_hour
        else:
            hours = np.empty(len(ticks), dtype=dtype)
            np.floor_divide(ticks, ticks_per_hour, out=hours,
                            casting='unsafe')
        if scale != 1:
            hours *= dtype(scale)
        if offset:
            hours += dtype(offset)
        return hours

    def split(self, cells):
        """``(workload code, hour since the epoch)`` of ``cells``."""
        keys = cells if self.keys is None else self.keys[cells]
        return keys // self.span, keys % self.span + self.first


def compute_costs(workloads, usage, card, power_curves=None):
    """Cost lines of every workload-hour present in ``usage``.

    :param workloads: frame with the columns of ``workloads.csv``.
    :param usage: long frame ``workload_id, timestamp (UTC), metric,
        value``; ``workload_id`` and ``metric`` may be categorical (as
        :func:`kcloud_analyzer.jobs.frames.usage_from_means` gives them),
        which spares hashing their strings.
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
    # The strings of the usage become integer codes once; from here on
    # every grouping is a count over integers.
    coded = usage_codes.UsageCodes(usage)
    known = pd.Index(coded.workload_names, dtype=object).isin(
        workloads['workload_id'])
    if not known.all() or (coded.workload < 0).any():
        unknown = ~np.append(known, False)[coded.workload]
        if unknown.any():
            first = usage['workload_id'].iloc[int(np.argmax(unknown))]
            raise CostInputError(
                f'usage names workload {first!r} which is not in the '
                'workloads')
    if not workloads['workload_id'].is_unique:
        raise pd.errors.MergeError(
            'Merge keys are not unique in right dataset; not a many-to-one '
            'merge')
    estimated_power = power_model.estimate_power(coded, workloads, card,
                                                 power_curves)
    pieces, names = energy_billing.energy_pieces(coded, card,
                                                 estimated_power)
    metric_rows = coded.metric >= 0
    if not metric_rows.all():
        # A sample without a metric is no column of any line.
        keep = np.flatnonzero(metric_rows)
        usage_workloads = coded.workload[keep]
        usage_ticks = coded.ticks[keep]
        usage_metrics, values = coded.metric[keep], coded.value[keep]
    else:
        usage_workloads, usage_ticks = coded.workload, coded.ticks
        usage_metrics, values = coded.metric, coded.value
    metric_count = len(coded.metric_names)
    cells = _Cells(usage_workloads, usage_ticks, coded.ticks_per_hour,
                   usage_metrics, metric_count, pieces['code'],
                   pieces['hour'], len(names))

    # Means of the metrics the lines use, per cell.
    sums, counts = cells.sums_and_counts(values)
    in_usage = counts.any(axis=1)
    piece_kwh = pieces['kwh']
    kwh = np.bincount(cells.pieces, weights=piece_kwh, minlength=cells.size)
    if pieces['estimated'].any():
        estimated_kwh = np.bincount(
            cells.pieces,
            weights=np.where(pieces['estimated'], piece_kwh, 0.0),
            minlength=cells.size)
    else:
        # every piece measured (the usual case): no pass over the pieces
        estimated_kwh = np.zeros(cells.size)
    # An hour is billed when the workload was seen in it: a sample of any
    # metric, or measured power held into it from the hour before. An
    # hour inside a gap has nothing measured and is not billed.
    chosen = np.flatnonzero(in_usage | (kwh > estimated_kwh))
    workload_codes, hours = cells.split(chosen)
    # Rows in the order of workload id, then hour.
    rank = np.empty(len(names), dtype=np.intp)
    rank[np.argsort(names, kind='stable')] = np.arange(len(names))
    if cells.keys is not None or (rank != np.arange(len(names))).any():
        order = np.lexsort((hours, rank[workload_codes]))
        chosen, workload_codes, hours = (chosen[order],
                                         workload_codes[order], hours[order])
    # else the codes are in id order, and dense cells ascending are in
    # the order of workload code, then hour: already sorted
    kwh = kwh[chosen]
    estimated_kwh = estimated_kwh[chosen]
    kwh_priced = np.bincount(cells.pieces, weights=pieces['priced'],
                             minlength=cells.size)[chosen]

    with np.errstate(invalid='ignore', divide='ignore'):
        means = sums[chosen] / counts[chosen]
    column = {name: i for i, name in enumerate(coded.metric_names)}

    def mean(metric):
        if metric in column:
            return means[:, column[metric]]
        return np.full(len(chosen), np.nan)

    # The workloads' attributes, checked once per workload (in id order,
    # so an error names the first one) and spread over their hours.
    used = np.flatnonzero(np.bincount(workload_codes,
                                      minlength=len(names)))
    used = used[np.argsort(rank[used], kind='stable')]
    position = pd.Index(workloads['workload_id']).get_indexer(names[used])
    chosen_workloads = workloads.iloc[position].reset_index(drop=True)
    lower, kind = _check_accelerators(chosen_workloads, card)
    slot = np.zeros(len(names), dtype=np.intp)
    slot[used] = np.arange(len(used))
    rows = slot[workload_codes]
    known_hour = {name.lower(): float(acc.hour)
                  for name, acc in card.accelerators.items()}
    hour_ns = (hours * _HOUR_NS).astype(np.int64)

    def spread(series):
        return series.iloc[rows].reset_index(drop=True)

    prices = _prices(
        card, hour_ns, chosen_workloads['project_id'].to_numpy()[rows],
        lower[rows],
        np.array([known_hour.get(model, 0.0) if isinstance(model, str)
                  else 0.0 for model in lower], dtype=float)[rows])
    kind = kind[rows]
    cores = chosen_workloads['cpu_cores'].to_numpy(dtype=float)[rows]
    memory = chosen_workloads['memory_gb'].to_numpy(dtype=float)[rows]
    gpus = np.where(kind == 'gpu', chosen_workloads['gpu_count'].to_numpy(
        dtype=float)[rows], 0.0)
    npus = np.where(kind == 'npu', chosen_workloads['npu_count'].to_numpy(
        dtype=float)[rows], 0.0)
    cpu_cost = cores * prices['vcpu']
    ram_cost = memory * prices['ram']
    gpu_cost = gpus * prices['accelerator']
    npu_cost = npus * prices['accelerator']
    storage_gb = np.nan_to_num(mean(metrics.STORAGE_GB))
    egress = np.nan_to_num(mean(metrics.NETWORK_TX_BYTES_PER_S))
    kwh = np.nan_to_num(kwh)
    estimated_kwh = np.nan_to_num(estimated_kwh)
    kwh_priced = np.nan_to_num(kwh_priced)

    lines = {
        'compute': cpu_cost + ram_cost,
        'gpu': gpu_cost,
        'npu': npu_cost,
        'storage': storage_gb * prices['storage'] / ratecard.HOURS_PER_MONTH,
        'network': (egress * 3600.0 / ratecard.BYTES_PER_GB *
                    prices['network']),
        'energy': kwh_priced * card.pue,
    }
    lines['cost_per_hour'] = _row_sum(*(lines[line] for line in LINES))
    lines['usage_compute'] = (
        cpu_cost * _used_share(mean(metrics.CPU_UTILIZATION)) +
        ram_cost * _used_share(mean(metrics.MEMORY_UTILIZATION)))
    lines['usage_gpu'] = gpu_cost * _used_share(
        mean(metrics.GPU_UTILIZATION))
    lines['usage_npu'] = npu_cost * _used_share(
        mean(metrics.NPU_UTILIZATION))
    lines['usage_cost_per_hour'] = (
        _row_sum(*(lines[line] for line in USAGE_LINES)) +
        lines['storage'] + lines['network'] + lines['energy'])
    lines['idle_cost'] = lines['cost_per_hour'] - lines['usage_cost_per_hour']
    if len(estimated_power):
        sources = estimated_power.drop_duplicates('workload_id').set_index(
            'workload_id')['source']
        power_estimate = chosen_workloads['workload_id'].map(
            sources).astype(object)
    else:
        # every workload measured its power
        power_estimate = pd.Series(np.full(len(chosen_workloads), np.nan,
                                           dtype=object))
    with np.errstate(invalid='ignore', divide='ignore'):
        tariff_kwh = np.where(kwh > 0, kwh_priced / kwh, np.nan)
    out = pd.DataFrame({
        'workload_id': spread(chosen_workloads['workload_id']),
        'project_id': spread(chosen_workloads['project_id']),
        'type': spread(chosen_workloads['type']),
        'accelerator': spread(chosen_workloads['accelerator']),
        'hour': pd.DatetimeIndex(hour_ns.view('M8[ns]')).tz_localize('UTC'),
        **lines,
        'energy_kwh': kwh,
        'estimated_kwh': estimated_kwh,
        'power_estimate': spread(power_estimate),
        'facility_kwh': kwh * card.pue,
        'tariff_kwh': tariff_kwh,
        'carbon_kg_co2e': kwh * card.pue * card.carbon_kg_per_kwh,
    })
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
