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
"""Energy profile of workloads: energy, power, attribution and pattern.

Integration
    Every power sample stands for the power from its instant until the
    next sample (a rollup's mean stands for its window, so rollups are
    integrated exactly); the last sample of a series stands for one
    median sampling interval. An interval longer than the *maximum gap*
    is not measured: its first sample stands for one median interval and
    the rest is reported as ``gap_hours`` and left out of ``energy_kwh``.
    ``estimated_energy_kwh`` adds the gaps at the mean of the two samples
    that bound each of them, for the cost model that must charge
    something. The maximum gap defaults to :data:`~kcloud_analyzer.
    workload_analyzer.stats.GAP_FACTOR` (3) times the row's median
    sampling interval: one lost sample is bridged, two or more in a row
    make a gap. The cost model splits the same intervals at hour
    boundaries (:mod:`kcloud_analyzer.cost_model.realtime`), so the
    energy of a workload's hours adds up to its energy here.

Attribution
    :func:`attribute_host_power` splits the power of a host measured by its
    BMC (IPMI/DCMI) between the workloads on it: each workload's own
    accelerator power (DCGM, NPU exporters) goes to it directly; what is
    left of the host's power is shared by allocated CPU cores, and the part
    of it that is the platform's idle baseline is reported apart
    (``idle_w``) instead of being dropped.

Power pattern
    ``steady``, ``periodic``, ``bursty`` or ``idle-dominated`` decided by
    :func:`power_pattern` from figures that are returned with it as the
    evidence.
"""

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics
from kcloud_analyzer.workload_analyzer import stats

JOULES_PER_KWH = 3.6e6

#: Coefficient of variation at or below which power is ``steady``.
STEADY_MAX_COV = 0.10
#: Share of the spectral power in the dominant period at or above which
#: power is ``periodic``.
PERIODIC_MIN_STRENGTH = 0.30
#: A sample is near idle when it is within this fraction of the dynamic
#: range (p95 - p5) above the series' own p5.
NEAR_IDLE_RANGE_FRACTION = 0.10
#: The dynamic range must be at least this fraction of p95 for "near
#: idle" to mean anything (a flat series is steady, not idle).
IDLE_MIN_RANGE_FRACTION = 0.20
#: Share of near-idle samples at or above which power is idle-dominated.
IDLE_DOMINATED_MIN_SHARE = 0.50

PATTERNS = ('steady', 'periodic', 'bursty', 'idle-dominated')


def _held_and_gap(times, max_gap_s):
    """Seconds held by each sample and the gap after it, by its instants
    alone (as if every sample was measured): see :func:`held_intervals`.
    """
    median = stats.median_interval(times)
    if max_gap_s is None:
        max_gap_s = stats.GAP_FACTOR * median
    max_gap = np.asarray(max_gap_s, dtype=np.float64)
    if times.ndim != 1:
        median = np.asarray(median, dtype=np.float64)[:, None]
        if max_gap.ndim == 1:
            max_gap = max_gap[:, None]
    last = np.full(times.shape[:-1] + (1,), np.nan)
    following = np.concatenate((stats.intervals(times), last), axis=-1)
    median = np.nan_to_num(median)
    with np.errstate(invalid='ignore'):
        held = np.where(following <= max_gap, following,
                        np.fmin(median, following))
    # The last sample of a row has no next one: it stands for one median
    # interval (nothing when the row has a single sample); padding for
    # nothing.
    held = np.where(np.isnan(following),
                    np.where(np.isnan(times), 0.0, median), held)
    return held, np.nan_to_num(following - held)


def held_intervals(times, watts, max_gap_s=None):
    """How long each power sample stands for, and the gap after it.

    A sample stands for the power from its instant until the next sample
    of its row (a rollup's mean stands for its window); the last sample of
    a row stands for one median interval. When the next sample is further
    away than the *maximum gap*, the sample stands for one median interval
    only and the rest up to the next sample is a gap: nobody measured it.

    :param times: seconds, ``(n, m)`` NaN-padded or a shared ``(m,)`` axis.
    :param watts: ``(n, m)`` power samples, NaN where not measured.
    :param max_gap_s: scalar or ``(n,)``; None for the default rule.
    :returns: ``(held_s, gap_s, gap_w)``, each shaped like ``watts`` (or
        ``(m,)`` for ``held_s`` and ``gap_s`` on a shared axis of full
        rows): seconds measured from each sample, seconds of gap after it,
        and the power the gap is estimated at (the mean of the samples on
        either side).
    """
    held, gap = _held_and_gap(times, max_gap_s)
    shared = times.ndim == 1
    if shared and not np.isnan(watts).any():
        next_w = np.concatenate((watts[:, 1:], watts[:, -1:]), axis=1)
        return held, gap, (watts + next_w) * 0.5
    held = np.broadcast_to(held, watts.shape)
    gap = np.broadcast_to(gap, watts.shape)
    measured = ~np.isnan(watts)
    next_w = np.concatenate((watts[:, 1:], watts[:, -1:]), axis=1)
    gap_w = np.where(np.isnan(next_w), watts, (watts + next_w) * 0.5)
    # An unmeasured sample stands for nothing: its time is a gap.
    gap = np.where(measured, gap, gap + held)
    held = np.where(measured, held, 0.0)
    return held, gap, np.where(measured, gap_w, np.nan_to_num(next_w))


def _series_extremes(codes, values, ends=None):
    """``(lengths, least, most)`` of each series of sorted ``codes``: its
    number of samples and the least and greatest of its non-NaN
    ``values`` (NaN for a series without any). ``ends``: the index of
    the last sample of every series, when known."""
    if ends is None:
        starts = np.flatnonzero(np.diff(codes)) + 1
    else:
        starts = ends[:-1] + 1
    starts = np.concatenate(([0], starts))
    lengths = np.diff(np.append(starts, len(codes)))
    return (lengths, np.fmin.reduceat(values, starts),
            np.fmax.reduceat(values, starts))


def _median_per_series(codes, values, extremes=None):
    """Median of the non-NaN ``values`` of each series, on every sample
    (NaN for a series without any); ``codes`` sorted.

    A series sampled at a steady interval has a single value: the least
    and the greatest give its median without sorting; only the others go
    through a group median. ``extremes`` is :func:`_series_extremes` of
    the same, when known.
    """
    if not len(codes):
        return np.empty(0)
    lengths, least, most = (_series_extremes(codes, values)
                            if extremes is None else extremes)
    median = np.where(least == most, least, np.nan)
    uneven = ~(least == most) & ~np.isnan(least)
    if uneven.any():
        rows = np.repeat(uneven, lengths)
        median[uneven] = pd.Series(values[rows]).groupby(
            codes[rows]).median().to_numpy()
    return np.repeat(median, lengths)


def series_intervals(codes, seconds):
    """The intervals of samples in long form, for
    :func:`held_intervals_long` and :func:`common_step`.

    :param codes: ``(k,)`` integer series code of each sample, sorted.
    :param seconds: ``(k,)`` time of each sample, sorted in each series.
    :returns: ``(following, other, ends)``: the seconds from each sample
        to the next of its series (NaN for the last of a series), whether
        a sample is the last of its series, and the indices of those.
    """
    # Each step works in place on arrays of its own (a few passes over
    # the samples, no temporaries).
    following = np.empty(len(seconds))
    np.subtract(seconds[1:], seconds[:-1], out=following[:-1])
    other = np.ones(len(seconds), dtype=bool)
    np.not_equal(codes[1:], codes[:-1], out=other[:-1])
    ends = np.flatnonzero(other)
    following[ends] = np.nan
    return following, other, ends


def common_step(intervals):
    """The one interval of every series, when every series has two
    samples or more, all at the same interval, the same for all of
    them and more than nothing; else None.

    :param intervals: :func:`series_intervals` of the samples.

    With finite instants and the default gap rule, every sample then
    holds that step (:func:`held_intervals_long`) and none leaves a gap.
    """
    following, _, ends = intervals
    if not len(ends) or ends[0] < 1 or (np.diff(ends) < 2).any():
        return None
    step = following[0]
    # NaN (the series' ends) equals nothing
    if step > 0 and (np.count_nonzero(following == step) ==
                     len(following) - len(ends)):
        return step
    return None


def held_intervals_long(codes, seconds, watts, max_gap_s=None,
                        intervals=None):
    """:func:`held_intervals` for samples in long form.

    :param codes: ``(k,)`` integer series code of each sample; the samples
        are sorted by code, then by time, without duplicated instants.
    :param seconds: ``(k,)`` time of each sample.
    :param watts: ``(k,)`` power of each sample.
    :param intervals: :func:`series_intervals` of the samples, when
        already made (it is changed in place).
    :returns: ``(held_s, gap_s, gap_w)``, each ``(k,)``.
    """
    following, other, ends = (series_intervals(codes, seconds)
                              if intervals is None else intervals)
    extremes = (_series_extremes(codes, following, ends) if len(codes)
                else None)
    # With finite instants the intervals are finite but where a series
    # ends (NaN there); the median is NaN only for a series of one sample.
    # ``nan_to_num`` then changes nothing but those NaN, which are set
    # directly (its other passes, over every sample, are spared).
    finite = np.isfinite(seconds).all()
    gap_w = np.empty(len(watts))
    np.add(watts[:-1], watts[1:], out=gap_w[:-1])
    gap_w *= 0.5
    np.copyto(gap_w, watts, where=other)
    if finite and max_gap_s is None and extremes is not None:
        lengths, least, most = extremes
        if ((least == most) | np.isnan(least)).all():
            # Every series is steady: each of its intervals is its
            # median, so each sample holds it (the end one too: the
            # median is what it holds), none leaves a gap, and a series
            # of one sample holds nothing.
            least[np.isnan(least)] = 0.0
            return np.repeat(least, lengths), np.zeros(len(seconds)), gap_w
    median = _median_per_series(codes, following, extremes)
    if finite:
        median[np.isnan(median)] = 0.0
    else:
        np.nan_to_num(median, copy=False)
    max_gap = (stats.GAP_FACTOR * median if max_gap_s is None
               else np.asarray(max_gap_s, dtype=np.float64))
    held = np.fmin(median, following)
    with np.errstate(invalid='ignore'):
        np.copyto(held, following, where=following <= max_gap)
    # held has no NaN then, and the gap is NaN only at the series' ends
    if not finite:
        np.nan_to_num(held, copy=False)
    np.copyto(held, median, where=other)
    gap = np.subtract(following, held, out=following)
    if finite:
        gap[other] = 0.0
    else:
        np.nan_to_num(gap, copy=False)
    return held, gap, gap_w


def integrate(times, watts, max_gap_s=None, sums=None):
    """Integrate power over time, row by row, with the maximum-gap rule.

    :param times: seconds, ``(n, m)`` NaN-padded or a shared ``(m,)`` axis.
    :param watts: ``(n, m)`` power samples, NaN where not measured.
    :param max_gap_s: scalar or ``(n,)``; None for the default rule.
    :param sums: the rows' sums (:func:`~kcloud_analyzer.
        workload_analyzer.stats.row_sums`) when already made: they tell
        whether a sample is missing without another pass over the block.
    :returns: dict of ``(n,)`` arrays: ``energy_j`` (measured time only,
        see :func:`held_intervals`), ``covered_s``, ``gap_s``,
        ``gap_energy_j`` (the gaps at the mean of the samples that bound
        them) and ``average_power_w``.
    """
    if times.ndim == 1 and watts.shape[1] and not np.isnan(
            watts.sum() if sums is None else sums).any():
        return _integrate_full_rows(times, watts, max_gap_s)
    held, gap, gap_w = held_intervals(times, watts, max_gap_s)
    values = np.nan_to_num(watts)
    if held.ndim == 1:
        energy = np.einsum('ij,j->i', values,
                           held.astype(values.dtype)).astype(np.float64)
        covered_s = np.full(len(watts), float(held.sum()))
        gap_s = np.full(len(watts), float(gap.sum()))
    else:
        energy = np.einsum('ij,ij->i', values, held, dtype=np.float64)
        covered_s = held.sum(axis=1, dtype=np.float64)
        gap_s = gap.sum(axis=1, dtype=np.float64)
    gap_energy = np.einsum('ij,ij->i', np.nan_to_num(gap_w),
                           np.broadcast_to(gap, watts.shape),
                           dtype=np.float64)
    return _integral(energy, covered_s, gap_s, gap_energy)


def _integral(energy, covered_s, gap_s, gap_energy):
    with np.errstate(invalid='ignore', divide='ignore'):
        average = np.where(covered_s > 0, energy / covered_s, np.nan)
    return {'energy_j': np.where(covered_s > 0, energy, np.nan),
            'covered_s': covered_s, 'gap_s': gap_s,
            'gap_energy_j': np.where(covered_s > 0, gap_energy, np.nan),
            'average_power_w': average}


def _integrate_full_rows(times, watts, max_gap_s):
    """:func:`integrate` of rows without a missing sample on one shared
    time axis: every figure is a product of the block with one vector of
    seconds, without any temporary of the block's size.

    A gap after sample ``j`` is charged at ``(w[j] + w[j+1]) / 2`` (at
    ``w[j]`` after the last sample), so the gap energy of a row is the row
    times ``weights[j] = (gap[j] + gap[j-1]) / 2``, the last sample taking
    the whole of its own gap.
    """
    held, gap = _held_and_gap(times, max_gap_s)
    rows = len(watts)
    weights = gap * 0.5
    weights[1:] += gap[:-1] * 0.5
    weights[-1] += gap[-1] * 0.5
    # einsum rather than a matrix product: BLAS's threads cost more than
    # they give on these blocks, above all next to the analysis threads.
    energy = np.einsum('ij,j->i', watts, held.astype(watts.dtype)).astype(
        np.float64)
    if gap.any():
        gap_energy = np.einsum('ij,j->i', watts,
                               weights.astype(watts.dtype)).astype(np.float64)
    else:
        gap_energy = np.zeros(rows)
    return _integral(energy, np.full(rows, float(held.sum())),
                     np.full(rows, float(gap.sum())), gap_energy)


def power_pattern(values, step_s, n=None, sums=None):
    """Classify the shape of each row of power samples.

    Rules, first match wins: ``steady`` when the coefficient of variation
    is at most :data:`STEADY_MAX_COV`; ``periodic`` when one period
    carries at least :data:`PERIODIC_MIN_STRENGTH` of the variance;
    ``idle-dominated`` when the series has a real dynamic range and at
    least half of its samples sit near its own idle level; ``bursty``
    otherwise.

    :param sums: the rows' sums (:func:`~kcloud_analyzer.
        workload_analyzer.stats.row_sums`) when already made.
    :returns: ``(pattern, evidence)``: an object array of pattern names
        (None without samples) and a dict of the figures used, with the
        peak power (``peak_power_w``) read from the same partitions as
        the p5 and p95.
    """
    n = stats.counts(values, sums) if n is None else n
    row_mean = stats.mean(values, n, sums)
    # The rows centred once, for the deviation and the spectrum.
    deviation = stats.centred(values, row_mean, n)
    row_std = stats.std_from_squares(
        stats.squares(values, deviation=deviation), n)
    (p5, p95), peak = stats.quantiles(values, [0.05, 0.95], n,
                                      with_maximum=True)
    with np.errstate(invalid='ignore', divide='ignore'):
        cov = np.where(row_mean > 0, row_std / row_mean, np.nan)
        dynamic_range = p95 - p5
        near_idle = stats.share_below(
            values, (p5 + NEAR_IDLE_RANGE_FRACTION * dynamic_range)[:, None],
            n)
        has_range = dynamic_range >= IDLE_MIN_RANGE_FRACTION * p95
    period, strength = stats.periodicity(values, step_s, n, row_mean,
                                         deviation=deviation)
    del deviation
    steady = cov <= STEADY_MAX_COV
    periodic = ~steady & (strength >= PERIODIC_MIN_STRENGTH)
    idle = (~steady & ~periodic & has_range
            & (near_idle >= IDLE_DOMINATED_MIN_SHARE))
    pattern = np.full(len(n), 'bursty', dtype=object)
    pattern[periodic] = 'periodic'
    pattern[idle] = 'idle-dominated'
    pattern[steady] = 'steady'
    pattern[n == 0] = None
    evidence = {
        'power_cov': cov,
        'power_near_idle_share': np.where(has_range, near_idle, 0.0),
        'power_periodicity_strength': strength,
        'power_dominant_period_s': period,
        'idle_power_w': p5,
        'peak_power_w': peak,
    }
    return pattern, evidence


def energy_profile(series, max_gap_s=None):
    """Compute the energy profile of every workload in ``series``.

    The workload's power is ``power_watts`` (host power already attributed
    to it, see :func:`attribute_host_power`) when reported, otherwise its
    ``accelerator_power_watts`` alone; ``power_source`` says which
    (``host``, ``accelerator`` or None when neither was reported, in which
    case every figure is NaN).

    :returns: a DataFrame indexed by workload_id with ``power_source``,
        ``energy_kwh``, ``estimated_energy_kwh``, ``coverage``,
        ``gap_hours``, ``average_power_w``, ``peak_power_w``,
        ``accelerator_energy_kwh``, ``idle_power_w``,
        ``idle_energy_share`` (share of the energy that the idle level
        alone accounts for), ``power_pattern`` and its evidence columns
        (see :func:`power_pattern`).
    """
    return energy_frame(energy_columns(series, max_gap_s),
                        series.workload_ids)


def energy_frame(columns, workload_ids):
    """The frame of :func:`energy_profile` from its columns."""
    index = pd.Index(workload_ids, name='workload_id')
    # pandas would infer a string dtype when no row lacks a source; keep
    # one dtype whatever the rows, so that chunks concatenate alike.
    return pd.DataFrame({
        name: (pd.Series(values, index=index, dtype=object)
               if values.dtype == object else values)
        for name, values in columns.items()}, index=index)


def energy_columns(series, max_gap_s=None):
    """The columns of :func:`energy_profile` as a dict of arrays in the
    row order of ``series``."""
    rows = len(series)
    result = {name: np.full(rows, np.nan) for name in (
        'energy_kwh', 'estimated_energy_kwh', 'coverage', 'gap_hours',
        'average_power_w', 'peak_power_w', 'accelerator_energy_kwh',
        'idle_power_w', 'idle_energy_share', 'power_cov',
        'power_near_idle_share', 'power_periodicity_strength',
        'power_dominant_period_s')}
    result['power_source'] = np.full(rows, None, dtype=object)
    result['power_pattern'] = np.full(rows, None, dtype=object)

    accelerator = series.block(metrics.ACCELERATOR_POWER_WATTS)
    accelerator_integral = None
    if accelerator is not None:
        accelerator_integral = integrate(accelerator.times,
                                         accelerator.values, max_gap_s,
                                         accelerator.sums)
        result['accelerator_energy_kwh'] = (
            accelerator_integral['energy_j'] / JOULES_PER_KWH)

    for source, metric in (('accelerator', metrics.ACCELERATOR_POWER_WATTS),
                           ('host', metrics.POWER_WATTS)):
        block = series.block(metric)
        if block is None:
            continue
        n = block.counts
        selected = np.flatnonzero(n > 0)
        if selected.size == 0:
            continue
        block = block.rows(selected) if selected.size < rows else block
        if source == 'accelerator':
            # Integrated above for every row, row by row: the same figures.
            integral = {name: figure[selected] for name, figure in
                        accelerator_integral.items()}
        else:
            integral = integrate(block.times, block.values, max_gap_s,
                                 block.sums)
        pattern, evidence = power_pattern(
            block.values, stats.median_interval(block.times), n[selected],
            block.sums)
        energy_j = integral['energy_j']
        covered_s = integral['covered_s']
        gap_s = integral['gap_s']
        average = integral['average_power_w']
        with np.errstate(invalid='ignore', divide='ignore'):
            coverage = covered_s / (covered_s + gap_s)
            idle_share = np.minimum(
                evidence['idle_power_w'] * covered_s / energy_j, 1.0)
        # The host series, when present, overwrites the accelerator one:
        # it includes the accelerators and the rest of the platform.
        result['power_source'][selected] = source
        result['power_pattern'][selected] = pattern
        result['energy_kwh'][selected] = energy_j / JOULES_PER_KWH
        result['estimated_energy_kwh'][selected] = (
            energy_j + integral['gap_energy_j']) / JOULES_PER_KWH
        result['coverage'][selected] = coverage
        result['gap_hours'][selected] = gap_s / 3600.0
        result['average_power_w'][selected] = average
        result['idle_energy_share'][selected] = idle_share
        for name, values in evidence.items():
            result[name][selected] = values
    return result


def attribute_host_power(frame):
    """Share host power between the workloads running on each host.

    :param frame: one row per workload (and per instant, when a
        ``timestamp`` column is present) with ``host_id``, ``cpu_cores``
        (allocated), ``accelerator_watts`` (the workload's own accelerators,
        0 without any), ``host_watts`` (the BMC reading of its host) and
        ``host_idle_watts`` (the host's platform power at idle, without
        accelerators).
    :returns: a DataFrame on the same index with ``accelerator_w``,
        ``cpu_share`` (of the host's allocated cores), ``idle_w``,
        ``dynamic_w`` and ``total_w`` (their sum). Over the workloads of a
        host, ``total_w`` adds up to the host's power whenever the host
        draws at least what its accelerators draw.
    """
    keys = ['host_id'] + (['timestamp'] if 'timestamp' in frame else [])
    grouped = frame.groupby(keys, sort=False)
    cores = frame['cpu_cores'].astype(float)
    accelerator = frame['accelerator_watts'].astype(float).fillna(0.0)
    host_cores = grouped['cpu_cores'].transform('sum').astype(float)
    host_accelerators = accelerator.groupby(
        [frame[k] for k in keys], sort=False).transform('sum')
    with np.errstate(invalid='ignore', divide='ignore'):
        share = np.where(host_cores > 0, cores / host_cores, np.nan)
    # What the host draws besides its accelerators: the platform (CPUs,
    # memory, fans, power-supply losses), idle baseline first.
    platform = np.maximum(frame['host_watts'].astype(float)
                          - host_accelerators, 0.0)
    idle = np.minimum(frame['host_idle_watts'].astype(float), platform)
    dynamic = platform - idle
    result = pd.DataFrame({
        'accelerator_w': accelerator,
        'cpu_share': share,
        'idle_w': share * idle,
        'dynamic_w': share * dynamic,
    }, index=frame.index)
    result['total_w'] = (result['accelerator_w'] + result['idle_w']
                         + result['dynamic_w'])
    return result
