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
"""Row-wise statistics over NaN-padded ``workloads x samples`` arrays.

numpy's ``nan*`` functions are slow on large blocks, so each function
takes a fast path when the block has no NaN (the common case for regular
telemetry) and otherwise works from counts and sorted rows. Rows with no
sample give NaN, never zero: a metric that was not measured stays missing.
"""

import numpy as np
import scipy.fft

#: An interval longer than this many times the row's median sampling
#: interval is a gap (two or more samples missing in a row).
GAP_FACTOR = 3.0

SECONDS_PER_DAY = 86400.0
HOURS_PER_DAY = 24


def counts(values, sums=None):
    """Samples (non-NaN values) in each row.

    A row whose sum is not NaN has no NaN, so only the rows whose sum is
    NaN are counted one value at a time: for regular telemetry that is
    one summing pass over the block without a temporary of its size.

    :param sums: the rows' sums (:func:`row_sums`) when already made.
    """
    rows, width = values.shape
    if width == 0:
        return np.zeros(rows, dtype=np.intp)
    if sums is None:
        with np.errstate(invalid='ignore'):  # inf - inf: counted below
            sums = values.sum(axis=1)
    holes = np.flatnonzero(np.isnan(sums))
    if holes.size * 2 > rows:
        return np.count_nonzero(~np.isnan(values), axis=1)
    result = np.full(rows, width, dtype=np.intp)
    if holes.size:
        result[holes] = np.count_nonzero(~np.isnan(values[holes]), axis=1)
    return result


def row_sums(values):
    """Sum of each row in float64, NaN for a row with a missing sample.

    One pass gives both the sums of full rows for :func:`mean` and the
    rows :func:`counts` has to count.
    """
    with np.errstate(invalid='ignore'):
        return values.sum(axis=1, dtype=np.float64)


def _count_true(mask):
    """True values in each row of a boolean block (numpy's count_nonzero
    along an axis casts the block to integers first)."""
    width = mask.shape[1]
    dtype = np.int32 if width < 2 ** 31 else np.int64
    return mask.view(np.uint8).sum(axis=1, dtype=dtype).astype(np.intp)


def _dense(values, n):
    """True when no row has a missing sample (the fast paths apply)."""
    return bool(values.shape[1] == 0 or (n == values.shape[1]).all())


def _safe_divide(numerator, denominator):
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def mean(values, n=None, sums=None):
    """Mean of each row; ``sums`` (:func:`row_sums`) when already made."""
    if n is None:
        n = counts(values, sums)
    if _dense(values, n):
        total = (values.sum(axis=1, dtype=np.float64) if sums is None
                 else sums)
    else:
        total = np.nansum(values, axis=1, dtype=np.float64)
    return _safe_divide(total, n)


def std(values, row_mean=None, n=None, deviation=None):
    """Population standard deviation of each row.

    :param deviation: :func:`centred` of the rows when already made.
    """
    return np.sqrt(_safe_divide(squares(values, row_mean, n, deviation),
                                n if n is not None else counts(values)))


def std_from_squares(total, n):
    """Standard deviation from the sums of squared deviations
    (:func:`squares`) and the counts."""
    return np.sqrt(_safe_divide(total, n))


def squares(values, row_mean=None, n=None, deviation=None):
    """Sum of the squared deviations from the mean of each row."""
    if deviation is None:
        if n is None:
            n = counts(values)
        if row_mean is None:
            row_mean = mean(values, n)
        deviation = centred(values, row_mean, n)
    return np.einsum('ij,ij->i', deviation, deviation).astype(np.float64)


def maximum(values):
    """Row maxima ignoring NaN, NaN for an empty row (no warning)."""
    if values.shape[1] == 0:
        return np.full(values.shape[0], np.nan)
    return np.fmax.reduce(values, axis=1).astype(np.float64)


#: Integer types of the same width as each float type (:func:`_order_keys`).
_INTEGER_OF = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


def _order_keys(values):
    """``values`` seen as signed integers of the same width when that
    keeps their order, else ``values`` themselves.

    An IEEE float without its sign bit is ordered like its bits read as
    an integer, so a block of floats of which none is below zero (nor
    NaN) sorts and partitions the same as integers; -0.0 reads as the
    least integer, below +0.0 and every positive value, the order float
    comparison gives too. numpy selects among integers about twice as
    fast as among float32 values (and a sixth faster for float64), and a
    partitioned view of the integers is the partitioned floats.
    """
    integer = _INTEGER_OF.get(values.dtype)
    if integer is None or not values.size or not values.min() >= 0:
        return values
    return values.view(integer)


def _dense_quantiles(values, qs):
    """Quantiles of full rows by successive single-pivot partitions, and
    the rows' maxima.

    numpy's partition is several times slower with several pivots than
    with one, so the rows are partitioned at one order statistic at a
    time, each next one being found in the part of the row beyond the
    previous pivot, which holds exactly the order statistics further on.
    The statistics are taken from the largest down or from the smallest
    up, whichever partitions fewer values (for the median and p95 of a
    row, the p95 is then found in the upper half only). The value just
    above each pivot, for the interpolation, is the minimum of the part
    right of it. One private copy of the block is made; the partitions
    work in place on views of it, as integers when the block allows it
    (:func:`_order_keys`). The maximum of a row is that of the part right
    of the highest pivot, which the partitions leave holding the row's
    largest values (5 % of the row for a p95).

    :returns: ``(quantiles, maximum)``, ``(len(qs), rows)`` and
        ``(rows,)``.
    """
    width = values.shape[1]
    positions = qs * (width - 1)
    lows = np.floor(positions).astype(np.intp)
    fractions = positions - lows
    distinct = np.unique(lows)
    # Values partitioned going down (each next partition left of the
    # previous pivot) and going up (right of it).
    down = width + int(np.sum(distinct[1:] + 1))
    up = width + int(np.sum(width - distinct[:-1] - 1))
    part = values.copy()
    # The partitions reorder ``keys``, which shares its memory with
    # ``part``: the values are read from ``part``.
    keys = _order_keys(part)
    found = {}
    if up < down:
        start = 0
        for low in distinct:
            segment = keys[:, start:]
            segment.partition(low - start, axis=1)
            above = (np.min(part[:, low + 1:], axis=1)
                     if low + 1 < width else part[:, low])
            found[low] = (part[:, low].astype(np.float64),
                          above.astype(np.float64))
            start = low + 1
    else:
        limit = width
        for low in distinct[::-1]:
            segment = keys[:, :limit]
            segment.partition(low, axis=1)
            above = (np.min(part[:, low + 1:limit], axis=1)
                     if low + 1 < limit else part[:, low])
            found[low] = (part[:, low].astype(np.float64),
                          above.astype(np.float64))
            limit = low + 1
    result = np.empty((len(qs), values.shape[0]))
    for index, low in enumerate(lows):
        at_low, above = found[low]
        result[index] = at_low + (above - at_low) * fractions[index]
    top = distinct[-1]
    largest = (part[:, top] if top + 1 == width
               else np.max(part[:, top:], axis=1))
    return result, largest.astype(np.float64)


def quantiles(values, qs, n=None, with_maximum=False):
    """Row quantiles with linear interpolation (numpy's default method).

    :param with_maximum: also return the rows' maxima (:func:`maximum`),
        read from the same partitioned or sorted rows instead of another
        pass over the block.
    :returns: an array ``(len(qs), rows)``; with ``with_maximum``, the
        pair ``(quantiles, maximum)``.
    """
    qs = np.asarray(qs, dtype=np.float64)
    rows, width = values.shape
    if width == 0:
        result, largest = np.full((len(qs), rows), np.nan), np.full(
            rows, np.nan)
    else:
        if n is None:
            n = counts(values)
        if _dense(values, n):
            result, largest = _dense_quantiles(values, qs)
        else:
            result, largest = _partial_quantiles(values, qs, n)
    return (result, largest) if with_maximum else result


def _partial_quantiles(values, qs, n):
    """:func:`_dense_quantiles` of a block with missing samples: full rows
    take the fast path, rows with missing samples the sort; empty rows
    stay NaN."""
    rows, width = values.shape
    result = np.full((len(qs), rows), np.nan)
    largest = np.full(rows, np.nan)
    full = n == width
    if full.any():
        result[:, full], largest[full] = _dense_quantiles(values[full], qs)
    partial = (n > 0) & ~full
    if partial.any():
        result[:, partial], largest[partial] = _sorted_quantiles(
            values[partial], qs, n[partial])
    return result, largest


def _sorted_quantiles(values, qs, n):
    # NaN sorts last, so the first n[i] entries of each sorted row are its
    # samples, the last of them its maximum.
    ordered = np.sort(values, axis=1)
    positions = qs[:, None] * (n - 1)[None, :]
    low = np.floor(positions).astype(np.intp)
    high = np.ceil(positions).astype(np.intp)
    fraction = positions - low
    row_index = np.arange(len(values))[None, :]
    return ((ordered[row_index, low] * (1 - fraction)
             + ordered[row_index, high] * fraction).astype(np.float64),
            ordered[row_index[0], n - 1].astype(np.float64))


def share_below(values, threshold, n=None):
    """Share of each row's samples strictly below ``threshold``."""
    if n is None:
        n = counts(values)
    below = _count_true(values < threshold)
    return _safe_divide(below, n)


def intervals(times):
    """Intervals between consecutive samples, NaN next to padding."""
    return np.diff(times, axis=-1)


def median_interval(times):
    """Median sampling interval of each row (or of a shared 1-D axis)."""
    steps = intervals(times)
    if steps.ndim == 1:
        return np.float64(np.median(steps)) if steps.size else np.nan
    return quantiles(steps, [0.5])[0]


def span(times):
    """Seconds from the first to the last sample of each row."""
    if times.ndim == 1:
        return np.float64(times[-1] - times[0]) if times.size else np.nan
    return maximum(times) - np.fmin.reduce(times, axis=1)


def centred(values, row_mean, n):
    """Rows minus their mean, missing samples at 0 (adding no variance)."""
    deviation = values - row_mean[:, None].astype(values.dtype)
    if _dense(values, n):
        return deviation
    return np.where(np.isnan(deviation), 0, deviation).astype(
        values.dtype, copy=False)


def periodicity(values, step_s, n=None, row_mean=None, deviation=None):
    """Dominant period of each row and the share of variance it explains.

    The row is treated as evenly sampled every ``step_s`` seconds (its
    median interval); missing samples are set to the row mean so they add
    no variance. Periods longer than half the observed span are ignored:
    one cycle is not a period.

    :returns: ``(period_s, strength)`` arrays, strength in [0, 1] being the
        spectral power of the peak bin and its two neighbours over the
        total spectral power without the mean.
    :param deviation: :func:`centred` of the rows when already made.
    """
    rows, width = values.shape
    if n is None:
        n = counts(values)
    if row_mean is None:
        row_mean = mean(values, n)
    if width < 4:
        return np.full(rows, np.nan), np.full(rows, np.nan)
    if deviation is None:
        deviation = centred(values, row_mean, n)
    spectrum = scipy.fft.rfft(deviation, axis=1, workers=-1)
    # |X|^2 in place in one array of the spectrum's real parts' dtype.
    power = np.square(spectrum.real)
    power += np.square(spectrum.imag)
    del spectrum
    power[:, 0] = 0.0
    total = power.sum(axis=1, dtype=np.float64)
    # Bin k has the period width * step / k; keep periods of at most half
    # the row's own span.
    # A row of fewer than 4 samples would start past the last bin; it is
    # reported as NaN below, so any bin does.
    min_bin = np.minimum(np.ceil(2.0 * width / np.maximum(n, 1)),
                         power.shape[1] - 1).astype(np.intp)
    if (min_bin == min_bin[0]).all():
        # The bins below the first allowed one are set below any power
        # for the argmax over whole (contiguous) rows, which numpy does
        # without copying the block, and put back for the neighbours.
        first = min_bin[0]
        low_bins = power[:, :first].copy()
        power[:, :first] = -1.0
        peak = np.argmax(power, axis=1)
        power[:, :first] = low_bins
    else:
        bins = np.arange(power.shape[1])
        peak = np.argmax(np.where(bins[None, :] >= min_bin[:, None],
                                  power, -1.0), axis=1)
    peak = np.minimum(peak, power.shape[1] - 1)
    row_index = np.arange(rows)
    around_peak = power[row_index, peak].astype(np.float64)
    around_peak += np.where(peak > 1, power[row_index, peak - 1], 0.0)
    around_peak += np.where(peak + 1 < power.shape[1],
                            power[row_index,
                                  np.minimum(peak + 1, power.shape[1] - 1)],
                            0.0)
    strength = _safe_divide(around_peak, total)
    with np.errstate(divide='ignore', invalid='ignore'):
        period = width * np.asarray(step_s, dtype=np.float64) / peak
    valid = (total > 0) & (peak > 0) & (n >= 4)
    return (np.where(valid, period, np.nan),
            np.where(valid, np.minimum(strength, 1.0), np.nan))


def _hour_of_day(times):
    hours = np.floor(np.mod(times, SECONDS_PER_DAY) / 3600.0)
    return np.nan_to_num(hours).astype(np.intp)


def _sums_by_hour(values, hours):
    """Sum of each row's values in each hour of the day, ``(rows, 24)``.

    ``hours`` (one per column) comes in runs of one hour, time being in
    order: each run is summed in one pass over the block (no matrix
    product, whose threads cost more than they give on these blocks),
    then the runs of the same hour on different days are added.
    """
    starts = np.flatnonzero(np.r_[True, hours[1:] != hours[:-1]])
    runs = np.add.reduceat(values, starts, axis=1).astype(np.float64)
    run_hours = hours[starts]
    result = np.zeros((len(values), HOURS_PER_DAY))
    if np.unique(run_hours).size == run_hours.size:
        result[:, run_hours] = runs
    else:
        for position, hour in enumerate(run_hours):
            result[:, hour] += runs[:, position]
    return result


def diurnal_strength(times, values, min_span_s=20 * 3600.0,
                     n=None, row_mean=None, deviation=None, total=None):
    """Share of a row's variance explained by the hour of day (UTC).

    This is the between-hours variance over the total variance (eta
    squared of an hour-of-day grouping): near 0 for a series without a
    daily shape, near 1 when the hour of day sets the level. A row that
    covers less than ``min_span_s`` gives NaN because a shorter series
    cannot tell a daily cycle from a trend; so does a constant row.

    :param deviation: :func:`centred` of the rows when already made.
    :param total: :func:`squares` of the rows when already made.
    """
    rows, width = values.shape
    if n is None:
        n = counts(values)
    if row_mean is None:
        row_mean = mean(values, n)
    result = np.full(rows, np.nan)
    if width == 0:
        return result
    eligible = (np.broadcast_to(span(times) >= min_span_s, (rows,))
                & (n > 1))
    if not eligible.any():
        return result
    if deviation is None:
        deviation = centred(values, row_mean, n)
    if times.ndim == 1:
        # One time axis for every row: the hourly sums are sums over the
        # runs of samples of one hour.
        hours = _hour_of_day(times)
        hour_sum = _sums_by_hour(deviation, hours)
        if _dense(values, n):
            hour_count = np.broadcast_to(
                np.bincount(hours, minlength=HOURS_PER_DAY).astype(
                    np.float64), hour_sum.shape)
        else:
            present = (~np.isnan(values)).astype(values.dtype)
            hour_count = _sums_by_hour(present, hours)
    else:
        keys = (np.arange(rows)[:, None] * HOURS_PER_DAY
                + _hour_of_day(times))
        present = ~np.isnan(values)
        size = rows * HOURS_PER_DAY
        hour_sum = np.bincount(
            keys[present], weights=deviation[present].astype(np.float64),
            minlength=size).reshape(rows, HOURS_PER_DAY)
        hour_count = np.bincount(keys[present], minlength=size).reshape(
            rows, HOURS_PER_DAY)
    # With deviations from the row mean, n_h * (mean_h - mean)^2 is
    # sum_h^2 / n_h.
    between = np.sum(_safe_divide(hour_sum ** 2, hour_count), axis=1)
    if total is None:
        total = squares(values, deviation=deviation)
    strength = _safe_divide(between, total)
    result[eligible] = np.minimum(strength[eligible], 1.0)
    return result
