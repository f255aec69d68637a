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
from kcloud_analyzer.common import usage_codes
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.workload_analyzer import energy

_HOUR_NS = 3600 * 1_000_000_000


#: ``(integral, slope)`` by the card's default price and periods (the
#: only inputs of its prices), so that a card is integrated once
_INTEGRALS = {}


def _integral_and_slope(card):
    """:func:`_week_integral` of the card and its ``diff`` (a 0 after
    it), made once per default price and periods; read-only arrays."""
    key = (card.default_kwh, card.periods)
    found = _INTEGRALS.get(key)
    if found is None:
        prices = np.tile(card.minute_of_week_kwh(), 2)
        integral = np.concatenate(([0.0], np.cumsum(prices)))
        slope = np.append(np.diff(integral), 0.0)
        integral.flags.writeable = slope.flags.writeable = False
        if len(_INTEGRALS) >= 16:
            _INTEGRALS.clear()
        found = _INTEGRALS[key] = (integral, slope)
    return found


def _week_integral(card):
    """Cumulative electricity price over two weeks, minute by minute.

    Integrating once and interpolating gives the mean price over any span
    of (fractional) minutes, which is how a tariff boundary inside an hour
    is priced without a loop.
    """
    return _integral_and_slope(card)[0]


def _minute_of_week(card, ns):
    """Minute of the local week (Monday 00:00 is 0) of UTC instants given
    as int64 nanoseconds, with the seconds as a fraction."""
    wall = pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view('M8[ns]'),
                            tz='UTC').tz_convert(card.timezone)
    seconds = wall.tz_localize(None).asi8 // 1_000_000_000
    days, of_day = np.divmod(seconds, 86400)
    # 1970-01-01, day 0, was a Thursday (day 3 of a week from Monday).
    whole = ((days + 3) % 7 * ratecard.MINUTES_PER_DAY + of_day // 3600 * 60
             + of_day % 3600 // 60)
    return whole + (of_day % 60) / 60.0


#: whole minutes and the fraction of a minute of every second of an hour
_MINUTE_OF_SECOND = np.arange(3600, dtype=np.int64) // 60
_FRACTION_OF_SECOND = (np.arange(3600, dtype=np.int64) % 60) / 60.0


def _minute_of_week_in_hours(card, ns, hours):
    """:func:`_minute_of_week` of instants ``ns`` each inside its hour
    ``hours`` (int64 hours since the epoch).

    The local time of every hour of the span is found once; an instant is
    its hour's local start plus its offset in the hour (whole minutes and
    the fraction of one looked up by its second in the hour, no division
    per instant). Hours in which the UTC offset changes (or is not whole
    minutes) are computed instant by instant.
    """
    return _minutes_in_hours(card, ns, ns // 1_000_000_000, hours)[0]


def _minutes_in_hours(card, ns, seconds, hours):
    """:func:`_minute_of_week_in_hours` of instants given as ``ns`` and
    ``seconds`` (``ns // 10**9``; ``ns`` may be None when the instants
    are whole seconds), and the whole minute of each (the floor of its
    minute, as int64) when all took the looked-up path, else None."""
    def instants():
        return seconds * 1_000_000_000 if ns is None else ns

    if not len(seconds) or hours.max() - hours.min() >= len(seconds):
        return _minute_of_week(card, instants()), None
    first = hours.min()
    span = np.arange(first, hours.max() + 1, dtype=np.int64) * _HOUR_NS
    utc = span // 1_000_000_000
    offset = [pd.DatetimeIndex(at.view('M8[ns]'), tz='UTC').tz_convert(
        card.timezone).tz_localize(None).asi8 // 1_000_000_000 -
        at // 1_000_000_000 for at in (span, span + _HOUR_NS - 1)]
    steady = (offset[0] == offset[1]) & (offset[0] % 60 == 0)
    start = _minute_of_week(card, span)
    index = hours - first
    into = seconds - utc[index]
    # one unsigned comparison for 0 <= into < 3600
    within = into.view(np.uint64) < 3600
    if within.all() and (steady.all() or steady[index].all()):
        whole = start.astype(np.int64)[index]
        whole += _MINUTE_OF_SECOND[into]
        whole[whole >= 7 * ratecard.MINUTES_PER_DAY] -= (
            7 * ratecard.MINUTES_PER_DAY)
        return whole + _FRACTION_OF_SECOND[into], whole
    regular = steady[index] & within
    minute = (start[index].astype(np.int64) + into // 60) % (
        7 * ratecard.MINUTES_PER_DAY) + (into % 60) / 60.0
    if not regular.all():
        minute[~regular] = _minute_of_week(card, instants()[~regular])
    return minute, None


def _interp_minutes(minute, integral, slope, below=None):
    """``np.interp(minute, arange(len(integral)), integral)``, the same
    to the bit (``slope`` is ``diff(integral)`` and a 0 after it), by
    indexing the minute instead of searching for it. ``below`` is the
    floor of every minute as int64 when known (inside the grid)."""
    if below is not None:
        value = minute - below
        value *= slope[below]
        value += integral[below]
        return value
    last = len(integral) - 1
    if not len(minute) or not (minute.min() >= 0 and minute.max() <= last):
        # NaN or outside the grid: np.interp's own edges
        return np.interp(minute, np.arange(len(integral), dtype=float),
                         integral)
    below = np.floor(minute)
    at = below.astype(np.intp)
    value = np.subtract(minute, below, out=below)
    value *= slope[at]
    value += integral[at]
    return value


def _mean_price(card, start_minute, minutes, start_whole=None):
    """Mean price over ``minutes`` from each ``start_minute`` (whose
    floor is ``start_whole``, when known)."""
    integral, slope = _integral_and_slope(card)
    end_minute = start_minute + minutes
    spent = (_interp_minutes(end_minute, integral, slope) -
             _interp_minutes(start_minute, integral, slope, start_whole))
    return spent / minutes


def mean_tariff(card, starts, minutes):
    """Mean electricity price over ``[starts, starts + minutes)``.

    :param starts: UTC timestamps (Series or DatetimeIndex).
    :param minutes: float array, span of each interval (at most a week).
    :returns: float array of prices per kWh.
    """
    ns = pd.DatetimeIndex(starts).tz_convert('UTC').as_unit('ns').asi8
    return _mean_price(card, _minute_of_week(card, ns),
                       np.asarray(minutes, dtype=float))


def _instants(seconds):
    """Float seconds since the epoch as ``(ns, whole)``: the int64
    nanoseconds ``pd.to_datetime(seconds * 1e9)`` gives, and ``ns //
    10**9``. For whole seconds before 2100, the usual case, ``ns`` is
    None: it is ``whole * 10**9`` exactly, made only if needed."""
    whole = seconds.astype(np.int64)
    if (whole == seconds).all() and (
            not len(seconds) or np.abs(seconds).max() < 4e9):
        return None, whole
    ns = pd.to_datetime(seconds * 1e9, utc=True).as_unit('ns').asi8
    return ns, ns // 1_000_000_000


def _power_samples(coded):
    """The power series each workload is billed from.

    Host power (already attributed to the workload) when the workload has
    it, otherwise its accelerators' board power; a redelivered sample (the
    same workload and instant twice) counts once, the last one read.

    :param coded: :class:`~kcloud_analyzer.common.usage_codes.UsageCodes`.
    :returns: ``(codes, ns, watts)``: the workload codes, instants and
        values of those rows of the usage, sorted by workload code then
        time.
    """
    host = coded.rows_of(metrics.POWER_WATTS)
    board = coded.rows_of(metrics.ACCELERATOR_POWER_WATTS)
    if len(host):
        with_host = coded.has_metric(metrics.POWER_WATTS)
        board = board[~np.append(with_host, False)[coded.workload[board]]]
        rows = np.sort(np.concatenate([host, board]))
        codes = coded.workload[rows]
    else:
        # board power alone: its workload codes are those already found
        rows = board
        codes = coded.workloads_of(metrics.ACCELERATOR_POWER_WATTS)
    # Read in the order of the usage's rows (the fewest pages of its
    # columns at a time), sorted after.
    ns = coded.ns(rows)
    watts = np.take(coded.value, rows)
    step = np.diff(codes)
    if len(rows) and (step >= 0).all() and (
            (step > 0) | (np.diff(ns) > 0)).all():
        return codes, ns, watts
    order = np.lexsort((ns, codes))
    codes, ns, watts = (np.take(values, order)
                        for values in (codes, ns, watts))
    last = np.ones(len(codes), dtype=bool)
    last[:-1] = (codes[1:] != codes[:-1]) | (ns[1:] != ns[:-1])
    if last.all():
        return codes, ns, watts
    return codes[last], ns[last], watts[last]


def _hour_pieces(codes, start_s, length_s, watts, estimated):
    """Split time segments at hour boundaries.

    :returns: dict of arrays, one entry per piece: ``code``, ``hour``
        (seconds since the epoch of the hour start), ``hours`` (the same
        as int64 hours since the epoch), ``start_s``, ``length_s``,
        ``watts``, ``estimated``.
    """
    keep = length_s > 0
    if not keep.all():
        codes, start_s, length_s = codes[keep], start_s[keep], length_s[keep]
        watts, estimated = watts[keep], estimated[keep]
    first = start_s / 3600.0
    np.floor(first, out=first)
    end = start_s + length_s
    # The hour that holds the segment's last instant (its end excluded),
    # if later than the first.
    last = end / 3600.0
    np.ceil(last, out=last)
    last -= 1.0
    if not (last > first).any():
        # No segment crosses an hour boundary: one piece each.
        hour = first * 3600.0
        piece_start = np.maximum(start_s, hour)
        hour_end = np.add(hour, 3600.0)
        length = np.minimum(end, hour_end, out=hour_end)
        length -= piece_start
        return {'code': codes, 'hour': hour, 'hours': first.astype(np.int64),
                'start_s': piece_start, 'length_s': length,
                'watts': watts, 'estimated': estimated}
    np.maximum(last, first, out=last)
    spans = (last - first + 1).astype(np.int64)
    segment = np.repeat(np.arange(len(spans)), spans)
    offset = np.arange(len(segment)) - np.repeat(np.cumsum(spans) - spans,
                                                 spans)
    hours = first[segment] + offset
    hour = hours * 3600.0
    piece_start = np.maximum(start_s[segment], hour)
    piece_end = np.minimum(start_s[segment] + length_s[segment],
                           hour + 3600.0)
    return {'code': codes[segment], 'hour': hour,
            'hours': hours.astype(np.int64), 'start_s': piece_start,
            'length_s': piece_end - piece_start, 'watts': watts[segment],
            'estimated': estimated[segment]}


#: distinct instants, beyond the number of samples, up to which
#: :func:`_steady_pieces` prices the samples instant by instant
_INSTANTS_BEYOND_SAMPLES = 1 << 16


#: least first instant and greatest step (seconds) of the series that
#: :func:`_steady_pieces` takes: see there
_STEADY_FROM = _STEADY_STEP_BELOW = 1 << 22


def _steady_instants(seconds, ends, step):
    """The instants that :func:`_steady_pieces` prices (int64 seconds)
    and the index into them of every sample; None when they would be too
    many, or are not whole seconds from 1970-02-18 to 2096 (see
    :func:`_steady_pieces`).

    Every series is its first instant plus whole steps. When all of
    them are on one grid of that step (rollups aligned alike), the
    instants are the grid from the first to the last, and a sample's
    index counts from its series' first; else the distinct instants are
    found by marking them on the span of seconds.
    """
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    first_s = seconds[starts]
    begin = first_s.astype(np.int64)
    if not ((begin == first_s).all() and begin.min() >= _STEADY_FROM and
            step == np.floor(step) and step < _STEADY_STEP_BELOW):
        return None
    step = np.int64(step)
    first = begin.min()
    last = (begin + (lengths - 1) * step).max()
    if not last < 4_000_000_000:
        # whole seconds before 2100: as :func:`_instants` takes them
        return None
    most = 2 * len(seconds) + _INSTANTS_BEYOND_SAMPLES
    offset = begin - first
    if not (offset % step).any():
        if (last - first) // step >= most:
            return None
        offset //= step
        # one count over the samples: 1 from a sample to the next, and
        # from the last of a series to the grid point of the next first
        index = np.ones(len(seconds), dtype=np.intp)
        index[0] = offset[0]
        index[starts[1:]] = offset[1:] - offset[:-1] - lengths[:-1] + 1
        np.cumsum(index, out=index)
        instants = first + np.arange((last - first) // step + 1,
                                     dtype=np.int64) * step
        return instants, index
    if last - first >= most:
        return None
    key = seconds.astype(np.int64)
    key -= first
    present = np.zeros(int(last - first) + 1, dtype=bool)
    present[key] = True
    at = np.flatnonzero(present)
    position = np.empty(len(present), dtype=np.intp)
    position[at] = np.arange(len(at))
    return at + first, np.take(position, key)


def _steady_pieces(card, codes, seconds, step, watts, measured, ends):
    """The result of :func:`energy_pieces` when every sample holds the
    same ``step`` and none leaves a gap (see :func:`~kcloud_analyzer.
    workload_analyzer.energy.common_step`), its instants are whole
    seconds and no sample crosses the end of its hour (rollups of a few
    minutes, aligned on the hour); else None. ``ends``: the index of
    the last sample of every series.

    Every piece is then a whole sample, and its hour, length and price
    are those of its instant alone: they are computed once per instant
    (a fleet's series share their instants: a few thousand for hundreds
    of thousands of samples), with the very functions of the general
    path, element by element, and looked up for every sample.

    The instants are whole seconds when the first of every series is and
    the step is, without looking at the others: from 2**22 s (1970-02-18)
    on, a double is a multiple of 2**-30, and so is the difference ``d``
    of an instant and a whole one before it; when that difference rounds
    to a whole step below 2**22 (as the step was found: every interval
    equal to it), ``d`` is within half a unit in the last place of the
    step (at most 2**-32) of it, so equal to it: the instant is the one
    before plus the step, exactly, and whole.
    """
    if not len(seconds):
        return None
    found = _steady_instants(seconds, ends, step)
    if found is None:
        return None
    instants, index = found
    count = len(instants)
    pieces = _hour_pieces(np.zeros(count, dtype=np.intp),
                          instants.astype(np.float64),
                          np.full(count, step), np.zeros(count),
                          np.zeros(count, dtype=bool))
    if len(pieces['hours']) != count:
        # a sample crosses an hour: the general split
        return None
    length = pieces['length_s']
    minute, minute_whole = _minutes_in_hours(
        card, *_instants(pieces['start_s']), pieces['hours'])
    tariff = np.take(_mean_price(card, minute, length / 60.0, minute_whole),
                     index)
    hours = np.take(pieces['hours'], index)
    if (length == length[0]).all():
        kwh = watts * length[0]
    else:
        kwh = watts * np.take(length, index)
    kwh /= energy.JOULES_PER_KWH
    return {'code': codes, 'hour': hours, 'kwh': kwh,
            'estimated': ~measured, 'priced': np.multiply(kwh, tariff,
                                                          out=tariff)}


def energy_pieces(usage, card, estimated_power=None):
    """The priced energy of every piece of a power sample inside an hour
    (see :func:`hourly_energy`), before it is summed per workload-hour.

    :param usage: long usage frame or its
        :class:`~kcloud_analyzer.common.usage_codes.UsageCodes`.
    :returns: ``(pieces, names)``: dict of arrays ``code`` (workload code,
        into ``names``), ``hour`` (int64 hours since the epoch), ``kwh``,
        ``estimated`` (bool) and ``priced`` (kWh x price); ``names`` the
        workload id of every code (the usage's codes, then those only the
        estimated power names).
    """
    coded = usage_codes.UsageCodes.of(usage)
    names = coded.workload_names
    codes, ns, watts = _power_samples(coded)
    measured = np.ones(len(codes), dtype=bool)
    if estimated_power is not None and len(estimated_power):
        has = np.zeros(len(names) + 1, dtype=bool)
        has[codes] = True
        extra = estimated_power.loc[~estimated_power['workload_id'].isin(
            names[has[:-1]])]
        extra_codes = pd.Index(names, dtype=object).get_indexer(
            extra['workload_id'])
        unknown = extra_codes < 0
        if unknown.any():
            more, more_names = pd.factorize(
                extra['workload_id'].to_numpy()[unknown])
            extra_codes[unknown] = len(names) + more
            names = np.concatenate([names,
                                    np.asarray(more_names, dtype=object)])
        codes = np.concatenate([codes, extra_codes])
        ns = np.concatenate([ns, pd.DatetimeIndex(
            extra['timestamp']).as_unit('ns').asi8])
        watts = np.concatenate([watts,
                                extra['value'].to_numpy(dtype=float)])
        measured = np.concatenate([measured,
                                   np.zeros(len(extra), dtype=bool)])
        order = np.lexsort((ns, codes))
        codes, ns = codes[order], ns[order]
        watts, measured = watts[order], measured[order]
    seconds = ns / 1e9
    intervals = energy.series_intervals(codes, seconds)
    step = energy.common_step(intervals)
    if step is not None:
        pieces = _steady_pieces(card, codes, seconds, step, watts,
                                measured, intervals[2])
        if pieces is not None:
            return pieces, names
    held, gap, gap_w = energy.held_intervals_long(codes, seconds, watts,
                                                  intervals=intervals)
    # The held intervals, then the gaps (those of no length are no piece).
    gaps = np.flatnonzero(gap > 0)
    if len(gaps):
        pieces = _hour_pieces(
            np.concatenate([codes, codes[gaps]]),
            np.concatenate([seconds, seconds[gaps] + held[gaps]]),
            np.concatenate([held, gap[gaps]]),
            np.concatenate([watts, gap_w[gaps]]),
            np.concatenate([~measured, np.ones(len(gaps), dtype=bool)]))
    else:
        pieces = _hour_pieces(codes, seconds, held, watts, ~measured)
    # whole hours (``hour`` is their start: the quotient by 3600 is exact)
    hours = pieces['hours']
    minute, whole = _minutes_in_hours(card, *_instants(pieces['start_s']),
                                      hours)
    tariff = _mean_price(card, minute, pieces['length_s'] / 60.0, whole)
    kwh = pieces['watts'] * pieces['length_s'] / energy.JOULES_PER_KWH
    return {'code': pieces['code'], 'hour': hours,
            'kwh': kwh, 'estimated': pieces['estimated'],
            'priced': kwh * tariff}, names


def hourly_energy(usage, card, estimated_power=None):
    """kWh and kWh x tariff per workload-hour from the power samples.

    Each power sample stands for the time until the next one, with the
    gap rule of :func:`~kcloud_analyzer.workload_analyzer.energy.
    held_intervals`; those intervals are cut at hour boundaries, so an
    hour holds the energy measured inside it, and each piece is priced at
    the mean tariff over its own minutes. A gap is estimated at the mean
    of the samples that bound it and flagged as estimated.

    :param usage: long usage frame or its
        :class:`~kcloud_analyzer.common.usage_codes.UsageCodes`.
    :param estimated_power: optional long frame ``workload_id, timestamp,
        value`` of estimated power (see
        :mod:`kcloud_analyzer.workload_analyzer.power_model`) for workloads
        without any measured power; all its energy is estimated.
    :returns: DataFrame indexed by (workload_id, hour), sorted, with
        ``energy_kwh`` (IT energy attributed to the workload, measured and
        estimated), ``estimated_kwh`` (the estimated part of it) and
        ``energy_kwh_priced`` (sum of kWh x price, before PUE).
    """
    pieces, names = energy_pieces(usage, card, estimated_power)
    hours = pieces['hour']
    first = hours.min() if hours.size else 0
    span = (hours.max() - first + 1) if hours.size else 1
    cells, keys = pd.factorize(pieces['code'] * span + (hours - first))
    size = len(keys)
    kwh = pieces['kwh']
    sums = {
        'energy_kwh': np.bincount(cells, weights=kwh, minlength=size),
        'estimated_kwh': np.bincount(
            cells, weights=np.where(pieces['estimated'], kwh, 0.0),
            minlength=size),
        'energy_kwh_priced': np.bincount(cells, weights=pieces['priced'],
                                         minlength=size),
    }
    ids = names[keys // span]
    order = np.lexsort((keys % span, ids))
    index = pd.MultiIndex.from_arrays(
        [ids[order],
         pd.to_datetime((keys[order] % span + first) * 3600 * 1_000_000_000,
                        utc=True).as_unit('ns')],
        names=['workload_id', 'hour'])
    return pd.DataFrame({name: values[order]
                         for name, values in sums.items()}, index=index)
