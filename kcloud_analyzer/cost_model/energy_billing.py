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
"""Energy of every workload-hour and its time-of-use price.

Every power sample stands for the time until the next sample, with the
analyzer's gap rule (:func:`kcloud_analyzer.workload_analyzer.energy.
held_intervals`); those intervals are cut at hour boundaries, so an hour
is billed the energy measured inside it, each piece priced at the mean
time-of-use price over its own minutes (:func:`mean_tariff`). The
unmeasured part of an hour (a gap between two samples) is estimated at the
mean of the samples around it and reported as ``estimated_kwh``. The hours
of a workload add up to the ``energy_kwh`` and ``estimated_energy_kwh`` of
its energy profile. Host power (``power_watts``, already attributed to the
workload) is used when the workload has it, otherwise accelerator board
power.

:func:`kcloud_analyzer.cost_model.realtime.compute_costs` turns the result
into the ``energy`` cost line (x PUE).
"""

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.workload_analyzer import energy


def _week_integral(card):
    """Cumulative electricity price over two weeks, minute by minute.

    Integrating once and interpolating gives the mean price over any span
    of (fractional) minutes, which is how a tariff boundary inside an hour
    is priced without a loop.
    """
    prices = np.tile(card.minute_of_week_kwh(), 2)
    return np.concatenate(([0.0], np.cumsum(prices)))


def mean_tariff(card, starts, minutes):
    """Mean electricity price over ``[starts, starts + minutes)``.

    :param starts: UTC timestamps (Series or DatetimeIndex).
    :param minutes: float array, span of each interval (at most a week).
    :returns: float array of prices per kWh.
    """
    local = pd.DatetimeIndex(starts).tz_convert(card.timezone)
    start_minute = (local.day_of_week * ratecard.MINUTES_PER_DAY +
                    local.hour * 60 + local.minute +
                    local.second / 60.0).to_numpy(dtype=float)
    minutes = np.asarray(minutes, dtype=float)
    integral = _week_integral(card)
    grid = np.arange(integral.size, dtype=float)
    end_minute = start_minute + minutes
    spent = (np.interp(end_minute, grid, integral) -
             np.interp(start_minute, grid, integral))
    return spent / minutes


def _power_samples(usage):
    """The power series each workload is billed from, in long form.

    Host power (already attributed to the workload) when the workload has
    it, otherwise its accelerators' board power; a redelivered sample (the
    same workload and instant twice) counts once, the last one read.
    """
    host = usage['metric'] == metrics.POWER_WATTS
    board = usage['metric'] == metrics.ACCELERATOR_POWER_WATTS
    with_host = usage.loc[host, 'workload_id'].unique()
    chosen = host | (board & ~usage['workload_id'].isin(with_host))
    power = usage.loc[chosen, ['workload_id', 'timestamp', 'value']]
    return power.drop_duplicates(['workload_id', 'timestamp'], keep='last')


def _hour_pieces(codes, start_s, length_s, watts, estimated):
    """Split time segments at hour boundaries.

    :returns: dict of arrays, one entry per piece: ``code``, ``hour``
        (seconds since the epoch of the hour start), ``start_s``,
        ``length_s``, ``watts``, ``estimated``.
    """
    keep = length_s > 0
    codes, start_s, length_s = codes[keep], start_s[keep], length_s[keep]
    watts, estimated = watts[keep], estimated[keep]
    first = np.floor(start_s / 3600.0)
    # The hour that holds the segment's last instant (its end excluded).
    last = np.maximum(np.ceil((start_s + length_s) / 3600.0) - 1.0, first)
    spans = (last - first + 1).astype(np.int64)
    segment = np.repeat(np.arange(len(spans)), spans)
    offset = np.arange(len(segment)) - np.repeat(np.cumsum(spans) - spans,
                                                 spans)
    hour = (first[segment] + offset) * 3600.0
    piece_start = np.maximum(start_s[segment], hour)
    piece_end = np.minimum(start_s[segment] + length_s[segment],
                           hour + 3600.0)
    return {'code': codes[segment], 'hour': hour, 'start_s': piece_start,
            'length_s': piece_end - piece_start, 'watts': watts[segment],
            'estimated': estimated[segment]}


def hourly_energy(usage, card, estimated_power=None):
    """kWh and kWh x tariff per workload-hour from the power samples.

    Each power sample stands for the time until the next one, with the
    gap rule of :func:`~kcloud_analyzer.workload_analyzer.energy.
    held_intervals`; those intervals are cut at hour boundaries, so an
    hour holds the energy measured inside it, and each piece is priced at
    the mean tariff over its own minutes. A gap is estimated at the mean
    of the samples that bound it and flagged as estimated.

    :param estimated_power: optional long frame ``workload_id, timestamp,
        value`` of estimated power (see
        :mod:`kcloud_analyzer.workload_analyzer.power_model`) for workloads
        without any measured power; all its energy is estimated.
    :returns: DataFrame indexed by (workload_id, hour) with ``energy_kwh``
        (IT energy attributed to the workload, measured and estimated),
        ``estimated_kwh`` (the estimated part of it) and
        ``energy_kwh_priced`` (sum of kWh x price, before PUE).
    """
    power = _power_samples(usage)
    measured = np.ones(len(power), dtype=bool)
    if estimated_power is not None and len(estimated_power):
        extra = estimated_power.loc[~estimated_power['workload_id'].isin(
            power['workload_id'])]
        power = pd.concat([power, extra[['workload_id', 'timestamp',
                                         'value']]], ignore_index=True)
        measured = np.concatenate([measured,
                                   np.zeros(len(extra), dtype=bool)])
    codes, names = pd.factorize(power['workload_id'])
    seconds = (pd.DatetimeIndex(power['timestamp']).as_unit('ns').asi8
               / 1e9)
    order = np.lexsort((seconds, codes))
    codes, seconds = codes[order], seconds[order]
    watts = power['value'].to_numpy(dtype=float)[order]
    measured = measured[order]
    held, gap, gap_w = energy.held_intervals_long(codes, seconds, watts)
    pieces = _hour_pieces(
        np.concatenate([codes, codes]),
        np.concatenate([seconds, seconds + held]),
        np.concatenate([held, gap]),
        np.concatenate([watts, gap_w]),
        np.concatenate([~measured, np.ones(len(gap), dtype=bool)]))
    starts = pd.to_datetime(pieces['start_s'] * 1e9, utc=True)
    tariff = mean_tariff(card, starts, pieces['length_s'] / 60.0)
    kwh = pieces['watts'] * pieces['length_s'] / energy.JOULES_PER_KWH
    # (workload, hour) folded into one int64 and factorised once: a
    # MultiIndex of the pieces built a tuple per piece, the largest part
    # of the cost of pricing.
    hours = (pieces['hour'] // 3600.0).astype(np.int64)
    first = hours.min() if hours.size else 0
    span = (hours.max() - first + 1) if hours.size else 1
    cells, keys = pd.factorize(
        pieces['code'].astype(np.int64) * span + (hours - first))
    size = len(keys)
    index = pd.MultiIndex.from_arrays(
        [np.asarray(names, dtype=object)[keys // span],
         pd.to_datetime((keys % span + first) * 3600 * 1_000_000_000,
                        utc=True).as_unit('ns')],
        names=['workload_id', 'hour'])
    return pd.DataFrame({
        'energy_kwh': np.bincount(cells, weights=kwh, minlength=size),
        'estimated_kwh': np.bincount(
            cells, weights=np.where(pieces['estimated'], kwh, 0.0),
            minlength=size),
        'energy_kwh_priced': np.bincount(cells, weights=kwh * tariff,
                                         minlength=size),
    }, index=index)
