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
"""One mapping table from what exporters, Ceilometer and BMCs call a metric
to the canonical metrics, with the unit conversions.

Every function here takes and returns pandas frames and works on the whole
batch at once; none of them reads configuration or does I/O.

Device-level rows (one GPU, one NPU chip) are combined per instance the way
``kcloud_analyzer.common.metrics`` defines it: utilisations are averaged over
the devices, watts are summed.

The module is a little over 500 lines because about a hundred of them are
the mapping table itself (data, one entry per exporter, meter and sensor
name), and the per-sample validation every source goes through sits
beside the normalisation it guards.
"""

import collections
import re
import threading
import types

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics as m

GAUGE = 'gauge'
#: a monotonically increasing total; collectors turn it into a per-second
#: rate (PromQL ``rate()``, or :class:`CumulativeRates`) before it is
#: scaled, so a counter in mJ becomes watts after scaling by 1e-3.
COUNTER = 'counter'

#: the row carries the canonical value itself
VALUE = 'value'
#: the row is one term of a ratio: ``used / total`` or
#: ``used / (used + free)``, as percent
USED = 'used'
FREE = 'free'
TOTAL = 'total'

Mapping = collections.namedtuple(
    'Mapping', 'canonical scale kind role priority')
Mapping.__doc__ = """How one source metric becomes a canonical one.

``scale`` multiplies the (rated) source value into the canonical unit.
Where several sources give the same canonical metric for one device, only
those with the lowest ``priority`` are used: a power gauge wins over the
rate of an energy counter. Old and renamed DCGM fields share a priority,
since an exporter emits one or the other (or both with the same value).
"""

_MIB = 1.0
_PERCENT = 1.0
_RATIO_TO_PERCENT = 100.0

#: Prometheus exporter metric name -> Mapping. DCGM names are those of
#: dcgm-exporter's counters file, both as it ships them and as DCGM 4.6
#: renamed the fields (dcgm_fields.h ``#define DCGM_FI_DEV_GPU_UTIL
#: DCGM_FI_DEV_GPU_UTIL_RATIO``): the renamed ``..._GPU_UTIL_RATIO`` is the
#: same int64 field 203, an integer percent despite its name, while
#: ``DCGM_FI_DEV_FB_USED_RATIO`` (254) is a real 0-1 ratio. The NPU names
#: are those of Huawei's npu-exporter (Ascend), FuriosaAI's
#: furiosa-metrics-exporter and Rebellions' rbln-metrics-exporter.
PROMETHEUS_METRICS = types.MappingProxyType({
    # NVIDIA DCGM
    'DCGM_FI_DEV_GPU_UTIL': Mapping(
        m.GPU_UTILIZATION, _PERCENT, GAUGE, VALUE, 0),
    'DCGM_FI_DEV_GPU_UTIL_RATIO': Mapping(
        m.GPU_UTILIZATION, _PERCENT, GAUGE, VALUE, 0),
    'DCGM_FI_DEV_FB_USED': Mapping(
        m.GPU_MEMORY_UTILIZATION, _MIB, GAUGE, USED, 0),
    'DCGM_FI_DEV_FB_FREE': Mapping(
        m.GPU_MEMORY_UTILIZATION, _MIB, GAUGE, FREE, 0),
    'DCGM_FI_DEV_FB_TOTAL': Mapping(
        m.GPU_MEMORY_UTILIZATION, _MIB, GAUGE, TOTAL, 0),
    'DCGM_FI_DEV_FB_USED_RATIO': Mapping(
        m.GPU_MEMORY_UTILIZATION, _RATIO_TO_PERCENT, GAUGE, VALUE, 1),
    'DCGM_FI_DEV_FB_USED_PERCENT': Mapping(
        m.GPU_MEMORY_UTILIZATION, _RATIO_TO_PERCENT, GAUGE, VALUE, 1),
    'DCGM_FI_DEV_POWER_USAGE': Mapping(
        m.ACCELERATOR_POWER_WATTS, 1.0, GAUGE, VALUE, 0),
    'DCGM_FI_DEV_BOARD_POWER_WATTS': Mapping(
        m.ACCELERATOR_POWER_WATTS, 1.0, GAUGE, VALUE, 0),
    'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION': Mapping(
        m.ACCELERATOR_POWER_WATTS, 1e-3, COUNTER, VALUE, 1),
    # Huawei Ascend (npu-exporter)
    'npu_chip_info_utilization': Mapping(
        m.NPU_UTILIZATION, _PERCENT, GAUGE, VALUE, 0),
    'npu_chip_info_hbm_used_memory': Mapping(
        m.NPU_MEMORY_UTILIZATION, _MIB, GAUGE, USED, 0),
    'npu_chip_info_hbm_total_memory': Mapping(
        m.NPU_MEMORY_UTILIZATION, _MIB, GAUGE, TOTAL, 0),
    'npu_chip_info_power': Mapping(
        m.ACCELERATOR_POWER_WATTS, 1.0, GAUGE, VALUE, 0),
    # FuriosaAI (furiosa-metrics-exporter)
    'furiosa_npu_core_utilization': Mapping(
        m.NPU_UTILIZATION, _PERCENT, GAUGE, VALUE, 0),
    'furiosa_npu_hw_power': Mapping(
        m.ACCELERATOR_POWER_WATTS, 1.0, GAUGE, VALUE, 0),
    # Rebellions (rbln-metrics-exporter; DRAM in GiB)
    'RBLN_DEVICE_STATUS:UTILIZATION': Mapping(
        m.NPU_UTILIZATION, _PERCENT, GAUGE, VALUE, 0),
    'RBLN_DEVICE_STATUS:DRAM_USED': Mapping(
        m.NPU_MEMORY_UTILIZATION, 1.0, GAUGE, USED, 0),
    'RBLN_DEVICE_STATUS:DRAM_TOTAL': Mapping(
        m.NPU_MEMORY_UTILIZATION, 1.0, GAUGE, TOTAL, 0),
    'RBLN_DEVICE_STATUS:CARD_POWER': Mapping(
        m.ACCELERATOR_POWER_WATTS, 1.0, GAUGE, VALUE, 0),
})

#: label matchers a source metric needs: furiosa exports several power
#: series per device (``label="rms"`` is the average board power).
PROMETHEUS_LABEL_FILTERS = types.MappingProxyType({
    'furiosa_npu_hw_power': {'label': 'rms'},
})

#: Ceilometer meter -> Mapping. ``cpu`` is cumulative CPU time in ns; its
#: rate divided by the vCPUs (done in :func:`normalise_ceilometer`) is the
#: utilisation. ``memory.usage`` is divided by the flavor's RAM.
CEILOMETER_METERS = types.MappingProxyType({
    'cpu': Mapping(m.CPU_UTILIZATION, 100.0 / 1e9, COUNTER, VALUE, 1),
    'cpu_util': Mapping(m.CPU_UTILIZATION, _PERCENT, GAUGE, VALUE, 0),
    'memory.usage': Mapping(m.MEMORY_UTILIZATION, _MIB, GAUGE, USED, 0),
    'network.incoming.bytes': Mapping(
        m.NETWORK_RX_BYTES_PER_S, 1.0, COUNTER, VALUE, 1),
    'network.outgoing.bytes': Mapping(
        m.NETWORK_TX_BYTES_PER_S, 1.0, COUNTER, VALUE, 1),
    'network.incoming.bytes.rate': Mapping(
        m.NETWORK_RX_BYTES_PER_S, 1.0, GAUGE, VALUE, 0),
    'network.outgoing.bytes.rate': Mapping(
        m.NETWORK_TX_BYTES_PER_S, 1.0, GAUGE, VALUE, 0),
    'disk.device.read.bytes': Mapping(
        m.DISK_READ_BYTES_PER_S, 1.0, COUNTER, VALUE, 1),
    'disk.device.write.bytes': Mapping(
        m.DISK_WRITE_BYTES_PER_S, 1.0, COUNTER, VALUE, 1),
    'disk.device.read.bytes.rate': Mapping(
        m.DISK_READ_BYTES_PER_S, 1.0, GAUGE, VALUE, 0),
    'disk.device.write.bytes.rate': Mapping(
        m.DISK_WRITE_BYTES_PER_S, 1.0, GAUGE, VALUE, 0),
    'volume.size': Mapping(m.STORAGE_GB, 1.0, GAUGE, VALUE, 0),
    'hardware.ipmi.node.power': Mapping(
        m.POWER_WATTS, 1.0, GAUGE, VALUE, 0),
    'power': Mapping(m.POWER_WATTS, 1.0, GAUGE, VALUE, 0),
})

#: unit of an IPMI sensor reading -> canonical metric. Ironic's
#: ``hardware.ipmi.metrics`` and the ``ipmi`` collector both report sensors
#: this way; only power sensors have a canonical metric (temperatures are
#: kept by Ironic/Ceilometer, they do not enter cost or classification).
IPMI_SENSOR_UNITS = types.MappingProxyType({
    'watts': m.POWER_WATTS,
    'w': m.POWER_WATTS,
})

SAMPLE_COLUMNS = ('resource_id', 'metric', 'timestamp', 'value')


def _mapping_frame(table):
    frame = pd.DataFrame.from_dict(
        {name: mapping._asdict() for name, mapping in table.items()},
        orient='index')
    frame.index.name = 'source'
    return frame


_PROMETHEUS_FRAME = _mapping_frame(PROMETHEUS_METRICS)
_CEILOMETER_FRAME = _mapping_frame(CEILOMETER_METERS)
# the Ceilometer mapping as arrays, by position in _CEILOMETER_FRAME
_CEILOMETER_CANONICAL = _CEILOMETER_FRAME['canonical'].to_numpy(dtype=object)
_CEILOMETER_SCALE = _CEILOMETER_FRAME['scale'].to_numpy(dtype='float64')
_CEILOMETER_COUNTER = (_CEILOMETER_FRAME['kind'] == COUNTER).to_numpy()
#: cumulative CPU time, divided by the vCPUs
_CEILOMETER_CPU_TIME = _CEILOMETER_COUNTER & (
    _CEILOMETER_CANONICAL == m.CPU_UTILIZATION)
#: memory used, divided by the flavor's RAM
_CEILOMETER_USED = (_CEILOMETER_FRAME['role'] == USED).to_numpy()


def empty_samples(extra_keys=()):
    """A frame with the canonical sample columns and no rows."""
    columns = {
        'resource_id': pd.Series(dtype=object),
        'metric': pd.Series(dtype=object),
        'timestamp': pd.Series(dtype='float64'),
        'value': pd.Series(dtype='float64'),
    }
    columns.update((key, pd.Series(dtype=object)) for key in extra_keys)
    return pd.DataFrame(columns)


def column_codes(values):
    """(codes, size) of one column for :func:`combine_codes`: its values
    numbered from 1 in order of first appearance, 0 for missing ones."""
    codes, uniques = pd.factorize(values)
    return codes + 1, len(uniques) + 1


def combine_codes(columns):
    """One int64 code per distinct combination of the columns' codes
    (from :func:`column_codes`), numbered in order of first appearance.

    The columns' codes are combined as the digits of one number,
    re-factorised only when that number could overflow.
    """
    codes, size = None, 1
    for values, digits in columns:
        if codes is None:
            codes = values.astype(np.int64)
        else:
            if size * digits >= 2 ** 62:
                codes, kept = pd.factorize(codes)
                size = len(kept)
            codes = codes * digits + values
        size *= digits
    if codes is None:
        return np.zeros(0, dtype=np.int64)
    codes, _ = pd.factorize(codes)
    return codes.astype(np.int64, copy=False)


def group_codes(frame, columns):
    """One int64 code per distinct combination of ``columns``, numbered in
    order of first appearance.

    Grouping on one integer column is much faster than on several object
    columns.
    """
    if not len(frame):
        return np.zeros(0, dtype=np.int64)
    return combine_codes([column_codes(frame[c]) for c in columns])


def _is_unique(codes):
    return len(codes) == 0 or np.bincount(codes).max() == 1


def _per_device(frame, device_key, codes_of):
    """Keep the best priority per device; average duplicates per role.

    ``codes_of`` holds the :func:`column_codes` of the key columns of
    ``frame``. Returns (direct, ratios, kept): ``kept`` is the positions
    of the rows of ``frame`` that ``direct`` is made of, when it is made of
    rows of ``frame`` as they are, else None."""
    codes = combine_codes([codes_of[c] for c in device_key])
    kept = np.arange(len(frame))
    priority = frame['priority'].to_numpy()
    if len(priority) and priority.min() != priority.max():
        best = frame.groupby(codes)['priority'].transform('min')
        keep = (frame['priority'] == best).to_numpy()
        frame, codes, kept = frame[keep], codes[keep], kept[keep]
    if (frame['role'] == VALUE).all() and _is_unique(codes):
        return frame[device_key + ['value']], None, kept
    # The same device reported under an old and a new name counts once.
    per_role = frame.groupby(device_key + ['role'], as_index=False,
                             sort=False)['value'].mean()
    direct = per_role[per_role['role'] == VALUE].drop(columns='role')
    terms = per_role[per_role['role'] != VALUE]
    if terms.empty:
        return direct, None, None
    terms = terms.pivot_table(index=device_key, columns='role',
                              values='value', aggfunc='mean')
    for role in (USED, FREE, TOTAL):
        if role not in terms:
            terms[role] = np.nan
    total = terms[TOTAL].fillna(terms[USED] + terms[FREE])
    with np.errstate(divide='ignore', invalid='ignore'):
        percent = (terms[USED] / total * 100.0).where(total > 0)
    return direct, percent.dropna().rename('value').reset_index(), None


def combine_devices(frame, extra_keys=()):
    """Combine device rows into one value per resource, metric and time.

    ``frame`` has columns resource_id, device, metric, timestamp, value,
    role and priority (the output of the mapping). Rows of a lower priority
    than the best one present for their device are dropped; ratio terms are
    turned into percent per device; devices are then averaged (percent) or
    summed (watts, bytes). ``extra_keys`` are further columns that keep
    rows apart and are carried into the result (a message id).
    """
    extra_keys = list(extra_keys)
    columns = list(SAMPLE_COLUMNS) + extra_keys
    if frame.empty:
        return empty_samples(extra_keys)
    device_key = ['resource_id', 'device', 'metric', 'timestamp'] + extra_keys
    key = ['resource_id', 'metric', 'timestamp'] + extra_keys
    # each key column is numbered once, for both groupings
    codes_of = {c: column_codes(frame[c]) for c in key}
    if _is_unique(combine_codes([codes_of[c] for c in key])) and (
            frame['role'].to_numpy() == VALUE).all():
        # One row per resource, metric and time (what a sample per
        # instance meter gives): no device has rows of two priorities nor
        # ratio terms, and no two rows combine.
        return frame[columns].reset_index(drop=True)
    codes_of['device'] = column_codes(frame['device'])
    devices, ratios, kept = _per_device(frame, device_key, codes_of)
    if ratios is not None:
        devices = pd.concat([devices, ratios], ignore_index=True)
    if devices.empty:
        return empty_samples(extra_keys)
    if kept is None:
        codes = group_codes(devices, key)
    else:
        codes = combine_codes([(codes_of[c][0][kept], codes_of[c][1])
                               for c in key])
    if _is_unique(codes):
        return devices[columns].reset_index(drop=True)
    grouped = devices.groupby(codes, sort=False)
    combined = grouped[key].first()
    is_percent = combined['metric'].map(m.UNITS).eq('%')
    combined['value'] = grouped['value'].sum().where(
        ~is_percent, grouped['value'].mean())
    return combined[columns].reset_index(drop=True)


def normalise_prometheus(frame, extra_keys=()):
    """Normalise exporter series to canonical samples.

    ``frame`` has columns resource_id (the instance the series belongs to),
    device, source (the exporter's metric name), timestamp (epoch seconds)
    and value; counter sources must already be per-second rates. Unknown
    source names are dropped.
    """
    mapped = frame.join(_PROMETHEUS_FRAME, on='source', how='inner')
    mapped = mapped.assign(value=mapped['value'] * mapped['scale'],
                           metric=mapped['canonical'])
    return combine_devices(mapped, extra_keys)


class CumulativeRates:
    """Turns cumulative counters into per-second rates across batches.

    Keeps the last (timestamp, value) of every (resource, source) so the
    first sample of a batch has a predecessor. A counter that went down
    (a reboot reset it) gives no rate for that step.
    """

    def __init__(self):
        # the listener hands batches to several threads
        self._lock = threading.Lock()
        self._last = pd.DataFrame(
            {'timestamp': pd.Series(dtype='float64'),
             'value': pd.Series(dtype='float64')},
            index=pd.MultiIndex.from_arrays(
                [[], [], []], names=['resource_id', 'device', 'source']))

    def rates(self, frame):
        """Return ``frame`` (counter rows) with value replaced by its rate.

        ``frame`` has columns resource_id, device, source, timestamp and
        value. Rows without a predecessor are dropped.
        """
        if frame.empty:
            return frame
        with self._lock:
            return self._rates(frame)

    def _rates(self, frame):
        key = ['resource_id', 'device', 'source']
        previous = self._last.reset_index()
        previous['_previous'] = True
        current = frame.assign(_previous=False)
        both = pd.concat([previous, current], ignore_index=True)
        both = both.sort_values(key + ['timestamp'], kind='stable')
        grouped = both.groupby(key, sort=False)
        delta_value = grouped['value'].diff()
        delta_time = grouped['timestamp'].diff()
        with np.errstate(divide='ignore', invalid='ignore'):
            both['rate'] = delta_value / delta_time
        latest = both.groupby(key)[['timestamp', 'value']].last()
        self._last = pd.concat(
            [self._last[~self._last.index.isin(latest.index)], latest])
        valid = (~both['_previous'] & (delta_time > 0) & (delta_value >= 0))
        result = both[valid].drop(columns=['_previous', 'value'])
        return result.rename(columns={'rate': 'value'})


def _known_sources(frame, table):
    """The rows of ``frame`` whose source ``table`` (a mapping frame)
    knows, with ``_mapping``, the position of the source in ``table``, and
    the mapping's priority (the rest is looked up by position). Each
    distinct source is looked up once."""
    codes, sources = pd.factorize(frame['source'])
    # -1 for a source the table does not know, and for a missing one
    positions = np.append(table.index.get_indexer(sources), -1)[codes]
    rows = np.flatnonzero(positions >= 0)
    positions = positions[rows]
    return frame.take(rows).assign(
        _mapping=positions,
        priority=table['priority'].to_numpy()[positions])


def normalise_ceilometer(frame, rates, extra_keys=()):
    """Normalise Ceilometer samples to canonical samples.

    ``frame`` has columns resource_id (the instance), device (the
    sample's own resource: a disk, an interface; the instance itself for
    instance meters), source (the meter name), timestamp (epoch seconds),
    value, vcpus and memory_mb (from the sample's resource metadata, NaN
    when absent). ``rates`` is the :class:`CumulativeRates` of the caller,
    which keeps state between batches, or None when counter values are
    per-second rates already (Gnocchi's ``rate:mean``). Unknown meters, and
    utilisations whose flavor size is unknown, are dropped.
    """
    mapped = _known_sources(frame, _CEILOMETER_FRAME)
    if mapped.empty:
        return empty_samples(extra_keys)
    if rates is not None:
        is_counter = _CEILOMETER_COUNTER[mapped['_mapping'].to_numpy()]
        if is_counter.any():
            mapped = pd.concat([mapped[~is_counter],
                                rates.rates(mapped[is_counter])],
                               ignore_index=True)
    # what each row's mapping asks for, looked up by its position
    position = mapped['_mapping'].to_numpy(dtype=np.int64)
    value = mapped['value'].to_numpy(dtype='float64') * \
        _CEILOMETER_SCALE[position]
    with np.errstate(divide='ignore', invalid='ignore'):
        value = np.where(_CEILOMETER_CPU_TIME[position],
                         value / mapped['vcpus'].to_numpy(dtype='float64'),
                         value)
        value = np.where(_CEILOMETER_USED[position],
                         value / mapped['memory_mb'].to_numpy(
                             dtype='float64') * 100.0, value)
    finite = np.isfinite(value)
    mapped = mapped.assign(value=value, metric=_CEILOMETER_CANONICAL[
        position], role=VALUE)
    if not finite.all():
        mapped = mapped[finite]
    return combine_devices(mapped, extra_keys)


def parse_ipmi_reading(reading):
    """Split an IPMI sensor reading such as ``'130 (+/- 0) Watts'``.

    Returns (value, unit) with the unit lower-cased, or (None, None) for a
    reading without a number (``'Disabled'``, ``'no reading'``).
    """
    if reading is None:
        return None, None
    if isinstance(reading, (int, float)):
        return float(reading), ''
    parts = str(reading).split()
    if not parts:
        return None, None
    try:
        value = float(parts[0])
    except ValueError:
        return None, None
    unit = parts[-1].lower() if len(parts) > 1 else ''
    return value, unit


def ipmi_metric(unit):
    """The canonical metric of an IPMI sensor unit, or None."""
    return IPMI_SENSOR_UNITS.get((unit or '').lower())


#: why a sample or a notification is refused (the ``reason`` label of
#: ``kcloud_analyzer_samples_malformed_total``)
NOT_FINITE = 'not_finite'
OUT_OF_BOUNDS = 'out_of_bounds'
BAD_TIMESTAMP = 'bad_timestamp'
BAD_IDENTIFIER = 'bad_identifier'
MALFORMED_MESSAGE = 'malformed_message'


class MalformedMessage(ValueError):
    """A notification that does not have the shape its event type needs."""


def first_line(error):
    """An error as one short line, for logs and dead-letter reasons."""
    return ('%s: %s' % (type(error).__name__, error)).splitlines()[0][:500]

#: the longest resource or workload id the store keeps
MAX_ID_LENGTH = 255
#: utilisations computed from counter rates jitter a little above 100 %:
#: up to this much is clipped to 100, more is refused
PERCENT_TOLERANCE = 110.0
#: samples stamped further ahead than this (seconds) are refused
MAX_CLOCK_SKEW = 86400.0
#: C0 control characters and DEL (NUL included) and UTF-16 surrogates,
#: which no database column of text can hold
_BAD_CHARACTERS = '[\x00-\x1f\x7f\ud800-\udfff]'
_BAD_CHARACTERS_RE = re.compile(_BAD_CHARACTERS)


def to_number(value):
    """A JSON number as a float, or NaN for anything else.

    A 400-digit JSON integer makes ``float()`` raise OverflowError; a
    boolean is not a measurement.
    """
    if isinstance(value, bool):
        return np.nan
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return np.nan


_PLAIN_NUMBER_TYPES = frozenset((float, int, type(None)))


def to_numbers(values):
    """:func:`to_number` over a sequence, as a float64 array: the JSON
    floats, integers and nulls of well-formed input are converted at once;
    anything else (booleans, strings, a 400-digit integer) value by value.
    """
    if set(map(type, values)) <= _PLAIN_NUMBER_TYPES:
        try:
            # None becomes NaN, as to_number makes it
            return np.array(values, dtype='float64')
        except OverflowError:
            pass
    return np.array([to_number(value) for value in values], dtype='float64')


def bad_identifiers(values):
    """True where an id cannot be stored: not a string, empty, longer than
    :data:`MAX_ID_LENGTH` characters, or holding a control character or a
    lone surrogate. Vectorised over a sequence; a batch's ids repeat, so
    each distinct string is checked once."""
    values = np.asarray(values, dtype=object)
    if len(values) and set(map(type, values)) == {str}:
        codes, uniques = pd.factorize(values)
        return np.fromiter(map(bad_identifier, uniques), dtype=bool,
                           count=len(uniques))[codes]
    return _bad_identifiers(values)


def _bad_identifiers(values):
    series = pd.Series(values, dtype=object)
    is_text = series.map(type).eq(str).to_numpy()
    text = series.where(is_text, '').astype(str)
    lengths = text.str.len().to_numpy()
    bad_chars = text.str.contains(_BAD_CHARACTERS, regex=True).to_numpy()
    return ~is_text | (lengths == 0) | (lengths > MAX_ID_LENGTH) | bad_chars


def bad_identifier(value):
    """:func:`bad_identifiers` for one value, without building a Series
    (message ids are checked one message at a time)."""
    return (not isinstance(value, str) or not 0 < len(value) <= MAX_ID_LENGTH
            or _BAD_CHARACTERS_RE.search(value) is not None)


def clean_text(value, limit=MAX_ID_LENGTH):
    """A display string fit to store: control characters and lone
    surrogates removed, cut to ``limit`` characters; None stays None."""
    if value is None:
        return None
    return re.sub(_BAD_CHARACTERS, '', str(value))[:limit]


def validate_samples(samples, now, bounds=True, checked=False):
    """Split canonical samples into those fit to store and the refused.

    ``samples`` has the canonical columns (and any others, kept). A sample
    is refused when its value is not finite, is negative or above the
    plausible maximum of its unit (``common.metrics.PLAUSIBLE_MAXIMUM``),
    when its timestamp is not a finite time between the epoch and
    ``now`` + :data:`MAX_CLOCK_SKEW`, or when its resource id cannot be
    stored (:func:`bad_identifiers`). Percentages up to
    :data:`PERCENT_TOLERANCE` are clipped to 100.

    With ``bounds`` false (raw rows whose ``value`` is not in a canonical
    unit yet, and which may have no ``metric``), only finiteness, time and
    id are checked. With ``checked`` true (samples made from raw rows that
    passed already, with their ids and times), time and id are not checked
    again.

    Returns (valid, refused); ``refused`` has a ``reason`` column holding
    one of the reason names above.
    """
    if samples.empty:
        return samples, samples.assign(reason=pd.Series(dtype=object))
    values = pd.to_numeric(samples['value'], errors='coerce').to_numpy(
        dtype='float64')
    if bounds:
        # each distinct metric is looked up once
        codes, metrics = pd.factorize(samples['metric'])
        units = [m.UNITS.get(metric) for metric in metrics] + [None]
        maximum = np.array([m.PLAUSIBLE_MAXIMUM.get(unit, np.nan)
                            for unit in units], dtype='float64')[codes]
        is_percent = np.array([unit == '%' for unit in units])[codes]
        clip = is_percent & (values > 100.0) & (values <= PERCENT_TOLERANCE)
        values = np.where(clip, 100.0, values)
    reason = np.full(len(samples), None, dtype=object)
    with np.errstate(invalid='ignore'):
        if not checked:
            timestamps = pd.to_numeric(samples['timestamp'], errors='coerce'
                                       ).to_numpy(dtype='float64')
            reason[bad_identifiers(samples['resource_id'].to_numpy())] = \
                BAD_IDENTIFIER
            reason[~np.isfinite(timestamps) | (timestamps < 0) |
                   (timestamps > now + MAX_CLOCK_SKEW)] = BAD_TIMESTAMP
        if bounds:
            reason[(values < 0) | (values > maximum) |
                   np.isnan(maximum)] = OUT_OF_BOUNDS
        reason[~np.isfinite(values)] = NOT_FINITE
    refused = pd.notna(reason)
    if not refused.any():
        return samples.assign(value=values), samples.iloc[:0].assign(
            reason=reason[:0])
    valid = samples[~refused].assign(value=values[~refused])
    return valid, samples[refused].assign(reason=reason[refused])
