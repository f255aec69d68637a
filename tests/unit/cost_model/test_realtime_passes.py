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
"""The shorter paths of pricing give the figures of the longer ones, to
the bit, on randomised fleets across time zones and changes of summer
time: the (workload, hour, metric) slots made in one pass (in int32 or
int64, the hours row by row or once a run of one instant) against the
plain formula and the sparse grid, the held intervals
without ``nan_to_num`` against it, energy pieces that cross no hour
against the general split, and no estimate frames against the frames."""

import numpy as np
import pandas as pd
import pytest

from kcloud_analyzer.common import metrics
from kcloud_analyzer.common import usage_codes
from kcloud_analyzer.cost_model import energy_billing
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.cost_model import realtime
from kcloud_analyzer.jobs import frames
from kcloud_analyzer.workload_analyzer import energy
from kcloud_analyzer.workload_analyzer import power_model
from kcloud_analyzer.workload_analyzer import stats
from tests.unit.cost_model import cards

ZONES = ('UTC', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata',
         'America/St_Johns', 'America/New_York', 'Pacific/Chatham')
# around the changes of summer time of both hemispheres, and a quiet week
STARTS = ('2026-03-07T18:00Z', '2026-03-28T20:00Z', '2026-04-04T10:00Z',
          '2026-10-24T21:00Z', '2026-10-31T22:00Z', '2026-09-26T12:00Z',
          '2026-06-10T00:00Z')
METRICS = (metrics.CPU_UTILIZATION, metrics.MEMORY_UTILIZATION,
           metrics.GPU_UTILIZATION, metrics.NPU_UTILIZATION,
           metrics.STORAGE_GB, metrics.NETWORK_TX_BYTES_PER_S,
           metrics.DISK_READ_BYTES_PER_S)
MODELS = (('A100', 'gpu'), ('H100', 'gpu'), ('NPU-X', 'npu'), (None, None))


def _fleet(seed):
    """A few workloads over hours, in the card's time zone ``seed`` picks:
    host power, board power, both or none (estimated), gaps, a
    redelivered sample, uneven instants with fractions of a second, plain
    or categorical columns, shuffled or not."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(STARTS[seed % len(STARTS)])
    document = cards.document()
    document['electricity'] = dict(document['electricity'],
                                   timezone=ZONES[seed % len(ZONES)])
    if seed % 3 == 0:
        document['overrides'] = [{
            'project_id': 'p1',
            'start': (start + pd.Timedelta(hours=5)).isoformat(),
            'end': (start + pd.Timedelta(hours=9, minutes=30)).isoformat(),
            'compute': {'vcpu_hour': '0.02'},
            'accelerators': {'A100': {'hour': '1.5'}}}]
    card = ratecard.parse_rate_card(document)
    step = int(rng.choice([30, 60, 300]))
    hours = int(rng.integers(3, 30))
    workloads, rows = [], []
    for i in range(int(rng.integers(2, 7))):
        model, kind = MODELS[int(rng.integers(0, len(MODELS)))]
        count = int(rng.choice([1, 2, 4])) if kind else 0
        workload = f'w{seed}-{i}'
        workloads.append((workload, 'training', 8.0, 64.0,
                          count if kind == 'gpu' else 0,
                          count if kind == 'npu' else 0, model, f'p{i % 3}'))
        n = hours * 3600 // step
        seconds = int(rng.integers(0, 3600)) + np.arange(n) * step
        stamps = start + pd.to_timedelta(seconds, unit='s')
        keep = np.ones(n, dtype=bool)
        if rng.random() < 0.5:
            gap = int(rng.integers(0, n))
            keep[gap:gap + int(rng.integers(1, n // 2 + 2))] = False
        if rng.random() < 0.3:
            stamps = stamps + pd.to_timedelta(rng.uniform(-20, 20, n),
                                              unit='s')
        stamps = stamps[keep]
        power = rng.choice(['host', 'board', 'none', 'both'])
        measured = {'host': [metrics.POWER_WATTS],
                    'board': [metrics.ACCELERATOR_POWER_WATTS],
                    'both': [metrics.POWER_WATTS,
                             metrics.ACCELERATOR_POWER_WATTS]}.get(power, [])
        for metric in METRICS[:int(rng.integers(2, len(METRICS) + 1))]:
            rows += [(workload, stamp, metric, float(rng.uniform(0, 100)))
                     for stamp in stamps]
        for metric in measured:
            rows += [(workload, stamp, metric, float(rng.uniform(50, 900)))
                     for stamp in stamps]
        if measured and len(stamps) > 3:
            rows.append((workload, stamps[2], measured[0], 321.0))
    usage = cards.usage(rows)
    if seed % 2:
        usage = usage.sample(frac=1.0, random_state=seed).reset_index(
            drop=True)
    if seed % 4 >= 2:
        usage['workload_id'] = frames.categorical(usage['workload_id'])
        usage['metric'] = frames.categorical(usage['metric'])
    return cards.workloads(*workloads), usage, card


def _held_intervals_with_nan_to_num(codes, seconds, watts):
    """The held intervals as they were computed before: ``nan_to_num``
    over every sample."""
    following = np.empty(len(seconds))
    np.subtract(seconds[1:], seconds[:-1], out=following[:-1])
    following[-1:] = np.nan
    other = np.ones(len(seconds), dtype=bool)
    np.not_equal(codes[1:], codes[:-1], out=other[:-1])
    following[other] = np.nan
    median = np.nan_to_num(energy._median_per_series(codes, following))
    held = np.fmin(median, following)
    with np.errstate(invalid='ignore'):
        np.copyto(held, following,
                  where=following <= stats.GAP_FACTOR * median)
    held = np.nan_to_num(held)
    np.copyto(held, median, where=other)
    gap = np.nan_to_num(following - held)
    gap_w = np.empty(len(watts))
    np.add(watts[:-1], watts[1:], out=gap_w[:-1])
    gap_w *= 0.5
    np.copyto(gap_w, watts, where=other)
    return held, gap, gap_w


def _same_bits(found, expected):
    assert found.dtype == expected.dtype
    assert found.view(np.int64).tolist() == expected.view(np.int64).tolist()


@pytest.mark.parametrize('seed', range(6))
def test_held_intervals_without_nan_to_num_are_the_same(seed):
    """Uneven series with gaps, and (odd seeds) every series steady, the
    short way: the held time is each series' step, and no gap."""
    rng = np.random.default_rng(seed)
    lengths = rng.choice([1, 2, 5, 40], 60)
    codes = np.repeat(np.arange(len(lengths)), lengths)
    if seed % 2:
        steps = np.repeat(rng.choice([30.0, 60.0, 300.0, 0.25],
                                     len(lengths)), lengths)
    else:
        steps = rng.choice([30.0, 60.0, 300.0, 7000.0, 0.25], len(codes),
                           p=[0.3, 0.2, 0.4, 0.05, 0.05])
    seconds = 1.77e9 + np.cumsum(steps)
    watts = rng.uniform(0, 900, len(codes))
    found = energy.held_intervals_long(codes, seconds, watts)
    for got, expected in zip(
            found, _held_intervals_with_nan_to_num(codes, seconds, watts),
            strict=True):
        _same_bits(got, expected)
    assert (found[0] == 0).any()
    assert (found[1] > 0).any() != bool(seed % 2)
    # instants that are not finite take nan_to_num's own path
    seconds[5] = np.nan
    with np.errstate(invalid='ignore'):
        found = energy.held_intervals_long(codes, seconds, watts)
        expected = _held_intervals_with_nan_to_num(codes, seconds, watts)
    for got, want in zip(found, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_pieces_within_their_hour_are_those_of_the_general_split():
    rng = np.random.default_rng(4)
    n = 5000
    hour = 1.77e9 // 3600 * 3600 + rng.integers(0, 500, n) * 3600.0
    start = hour + rng.uniform(0, 3000, n).round(rng.integers(0, 4))
    length = np.minimum(rng.choice([0.0, 30.0, 300.0, 17.5], n),
                        hour + 3600.0 - start)
    codes = rng.integers(0, 50, n)
    watts = rng.uniform(0, 900, n)
    estimated = rng.random(n) < 0.2
    short = energy_billing._hour_pieces(codes, start, length, watts,
                                        estimated)
    # one more segment, across two hours, sends the rest the general way
    general = energy_billing._hour_pieces(
        np.append(codes, 1), np.append(start, hour[0] + 3500.0),
        np.append(length, 400.0), np.append(watts, 1.0),
        np.append(estimated, False))
    assert len(general['code']) == len(short['code']) + 2
    for name, values in short.items():
        expected = general[name][:-2]
        if values.dtype == np.float64:
            _same_bits(values, expected)
        else:
            np.testing.assert_array_equal(values, expected)
    np.testing.assert_array_equal(
        short['hours'], (short['hour'] / 3600.0).astype(np.int64))


@pytest.mark.parametrize('first_hour', [
    492_000,  # 2026: int32 slots
    -200_000,  # before 1970
    250_000_000,  # 28,500 years on: hours x metrics pass int32
])
def test_slots_in_one_pass_are_the_plain_formula(first_hour, monkeypatch):
    """int32 slots on a usual span, int64 once the hours since the epoch
    times the metrics pass int32, and the sparse grid; the hours row by
    row and once a run of one instant."""
    rng = np.random.default_rng(abs(first_hour))
    n, count, metric_count = 20000, 40, 11
    per_hour = 3_600_000_000  # microseconds, the usual unit
    ticks = first_hour * per_hour + rng.integers(0, 300 * per_hour, n)
    workloads = rng.integers(0, count, n).astype(np.int16)
    metric = rng.integers(0, metric_count, n).astype(np.int8)
    piece_codes = rng.integers(0, count, 100)
    piece_hours = ticks[:100] // per_hour
    # the same rows in runs of one instant (the store's order): each run's
    # hour, or each row's (no runs taken)
    in_runs = np.sort(first_hour * per_hour + rng.integers(0, 100, n) *
                      (3 * per_hour))
    for dense, stamps, runs_per_row in (
            (True, ticks, 1 / 64), (False, ticks, 1 / 64),
            (True, in_runs, 1 / 64), (False, in_runs, 1 / 64),
            (True, in_runs, 0.0), (True, ticks, 1.0)):
        monkeypatch.setattr(realtime, '_DENSE_CELLS',
                            1 << 22 if dense else 0)
        monkeypatch.setattr(usage_codes, '_RUNS_PER_ROW', runs_per_row)
        cells = realtime._Cells(workloads, stamps, per_hour, metric,
                                metric_count, piece_codes, piece_hours,
                                count)
        assert (cells.keys is None) == dense
        assert (cells._runs is not None) == (
            stamps is in_runs and runs_per_row > 0 or runs_per_row == 1.0)
        hours = stamps // per_hour
        cell = workloads * cells.span + (hours - cells.first)
        keys = (cells.usage // metric_count if dense
                else cells.keys[cells.usage // metric_count])
        np.testing.assert_array_equal(keys, cell)
        np.testing.assert_array_equal(cells.usage % metric_count, metric)
        piece_keys = (cells.pieces if dense else cells.keys[cells.pieces])
        np.testing.assert_array_equal(
            piece_keys, piece_codes * cells.span +
            (piece_hours - cells.first))


def test_sums_by_parts_of_hours_are_one_bincount(monkeypatch):
    """Rows hour after hour on a dense grid are summed a few hours at a
    time; the sums and counts of every cell are those of one ``bincount``
    over all the rows, to the bit."""
    rng = np.random.default_rng(7)
    n, count, metric_count = 30000, 25, 9
    per_hour = 3_600_000_000
    # 5-minute windows over 40 hours, some missing, rows in runs of one
    # window; a workload and metric now and then twice in a window
    windows = np.sort(rng.choice(480, 300, replace=False))
    ticks = np.sort(492_000 * per_hour + rng.choice(windows, n) *
                    (per_hour // 12))
    workloads = rng.integers(0, count, n).astype(np.int16)
    metric = rng.integers(0, metric_count, n).astype(np.int8)
    values = rng.normal(0, 1e6, n) ** 3
    piece_codes = rng.integers(0, count, 50)
    piece_hours = 492_000 + rng.integers(-3, 45, 50)
    for part_rows in (1000, 7, 1 << 17):
        monkeypatch.setattr(realtime, '_PART_ROWS', part_rows)
        cells = realtime._Cells(workloads, ticks, per_hour, metric,
                                metric_count, piece_codes, piece_hours,
                                count)
        sums, counts = cells.sums_and_counts(values)
        # summed by parts: the slots of every row not made
        assert cells._usage is None
        width = cells.size * metric_count
        _same_bits(sums.ravel(), np.bincount(cells.usage, weights=values,
                                             minlength=width))
        np.testing.assert_array_equal(
            counts.ravel(), np.bincount(cells.usage, minlength=width))
    # not hour after hour (runs of one instant all the same): one bincount
    back = np.concatenate([ticks[n // 2:], ticks[:n // 2]])
    cells = realtime._Cells(workloads, back, per_hour, metric, metric_count,
                            piece_codes, piece_hours, count)
    assert cells._runs is not None
    cells.sums_and_counts(values)
    assert cells._usage is not None


@pytest.mark.parametrize('seed', range(14))
def test_randomised_fleets_priced_the_same_by_every_path(seed, monkeypatch):
    workloads, usage, card = _fleet(seed)
    costs = realtime.compute_costs(workloads, usage, card)
    assert len(costs) > 0
    # the hours of runs of one instant, one row a run
    monkeypatch.setattr(usage_codes, '_RUNS_PER_ROW', 1.0)
    pd.testing.assert_frame_equal(
        realtime.compute_costs(workloads, usage, card), costs,
        check_exact=True)
    monkeypatch.undo()
    # in the store's order (instant after instant): summed a few hours at
    # a time, or by one bincount
    stored = usage.sort_values('timestamp', kind='stable',
                               ignore_index=True)
    monkeypatch.setattr(usage_codes, '_RUNS_PER_ROW', 0.0)
    by_rows = realtime.compute_costs(workloads, stored, card)
    monkeypatch.setattr(usage_codes, '_RUNS_PER_ROW', 1.0)
    monkeypatch.setattr(realtime, '_PART_ROWS', 40)
    pd.testing.assert_frame_equal(
        realtime.compute_costs(workloads, stored, card), by_rows,
        check_exact=True)
    monkeypatch.undo()
    # the sparse grid (keys numbered as found, slots made from them)
    monkeypatch.setattr(realtime, '_DENSE_CELLS', 0)
    pd.testing.assert_frame_equal(
        realtime.compute_costs(workloads, usage, card), costs,
        check_exact=True)
    monkeypatch.undo()
    # the estimate's frames made even when no workload needs them
    monkeypatch.setattr(power_model, '_any_to_estimate',
                        lambda *args: True)
    pd.testing.assert_frame_equal(
        realtime.compute_costs(workloads, usage, card), costs,
        check_exact=True)


def test_every_workload_measured_gives_the_estimate_frame_of_before(
        monkeypatch):
    for seed in range(8):
        workloads, usage, card = _fleet(seed)
        powered = usage.loc[usage['metric'].isin([
            metrics.POWER_WATTS, metrics.ACCELERATOR_POWER_WATTS]),
            'workload_id'].unique()
        for chosen in (workloads,
                       workloads.loc[workloads['workload_id'].isin(
                           powered)]):
            shortcut = power_model.estimate_power(usage, chosen, card)
            with monkeypatch.context() as patch:
                patch.setattr(power_model, '_any_to_estimate',
                              lambda *args: True)
                made = power_model.estimate_power(usage, chosen, card)
            pd.testing.assert_frame_equal(shortcut, made, check_exact=True)


@pytest.mark.parametrize('zone', ['UTC', 'Europe/Berlin', 'Asia/Kolkata',
                                  'Australia/Lord_Howe', 'America/St_Johns'])
def test_prices_from_the_whole_minutes_are_np_interp(zone):
    """Instants looked up hour by hour give their whole minutes too; the
    price integral read at them is ``np.interp``'s, to the bit."""
    card = cards.card(electricity=dict(cards.BASE['electricity'],
                                       timezone=zone))
    rng = np.random.default_rng(8)
    first = pd.Timestamp('2026-06-01', tz='UTC').value // 10**9
    seconds = first + rng.integers(0, 21 * 86400, 20000)
    minute, whole = energy_billing._minutes_in_hours(
        card, None, seconds, seconds // 3600)
    # no change of offset in those three weeks: every hour looked up
    # (offsets of whole minutes, not hours, too)
    assert whole is not None
    np.testing.assert_array_equal(whole, np.floor(minute))
    _same_bits(minute, energy_billing._minute_of_week(card,
                                                      seconds * 10**9))
    integral, slope = energy_billing._integral_and_slope(card)
    grid = np.arange(len(integral), dtype=float)
    _same_bits(energy_billing._interp_minutes(minute, integral, slope,
                                              whole),
               np.interp(minute, grid, integral))
    lengths = rng.choice([0.5, 5.0, 17.25, 60.0], len(minute))
    _same_bits(energy_billing._mean_price(card, minute, lengths, whole),
               energy_billing._mean_price(card, minute, lengths))


def _steady_fleet(seed):
    """Workloads whose power series all hold one step, in the card's time
    zone ``seed`` picks: rollups aligned on the hour (one grid, or each
    workload starting elsewhere on it), or (a step that does not divide
    the hour) short series inside their hours at their own phases; some
    workloads measure host power, some board power, some none (their
    power estimated at the same step); now and then a sample that
    crosses its hour or breaks the step sends the fleet the general way.
    """
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(STARTS[seed % len(STARTS)]).floor('h')
    document = cards.document()
    document['electricity'] = dict(document['electricity'],
                                   timezone=ZONES[seed % len(ZONES)])
    card = ratecard.parse_rate_card(document)
    step = int(rng.choice([30, 60, 300, 900, 3600, 700, 1100]))
    workloads, rows = [], []
    for i in range(int(rng.integers(1, 8))):
        model, kind = MODELS[int(rng.integers(0, len(MODELS) - 1))]
        workload = f's{seed}-{i}'
        workloads.append((workload, 'training', 8.0, 64.0,
                          2 if kind == 'gpu' else 0,
                          2 if kind == 'npu' else 0, model, f'p{i % 3}'))
        if 3600 % step == 0:
            begin = int(rng.integers(0, 48)) * step
            n = int(rng.integers(2, 40 * 3600 // step))
        else:
            hour = int(rng.integers(0, 48)) * 3600
            n = int(rng.integers(2, 3600 // step + 1))
            begin = hour + int(rng.integers(0, 3600 - n * step + 1))
        seconds = begin + np.arange(n) * step
        if rng.random() < 0.1:
            seconds[-1] += int(rng.choice([1, step]))
        stamps = start + pd.to_timedelta(seconds, unit='s')
        power = rng.choice(['host', 'board', 'none'])
        utilization = (metrics.NPU_UTILIZATION if kind == 'npu'
                       else metrics.GPU_UTILIZATION)
        rows += [(workload, stamp, utilization,
                  float(rng.uniform(0, 100))) for stamp in stamps]
        if power != 'none':
            metric = (metrics.POWER_WATTS if power == 'host'
                      else metrics.ACCELERATOR_POWER_WATTS)
            rows += [(workload, stamp, metric,
                      float(rng.uniform(50, 900))) for stamp in stamps]
    usage = cards.usage(rows)
    if seed % 2:
        usage['workload_id'] = frames.categorical(usage['workload_id'])
        usage['metric'] = frames.categorical(usage['metric'])
    return cards.workloads(*workloads), usage, card


def test_steady_fleets_priced_instant_by_instant_as_by_the_general_split(
        monkeypatch):
    """Every sample holding one step, whole seconds, no hour crossed:
    priced once per instant (on one grid or the distinct instants) and
    looked up, to the bit of the general split."""
    general = energy_billing._steady_pieces
    taken = []

    def steady(*args):
        found = general(*args)
        taken.append(found is not None)
        return found

    for seed in range(60):
        workloads, usage, card = _fleet(seed) if seed >= 50 else (
            _steady_fleet(seed))
        estimated = power_model.estimate_power(usage, workloads, card)
        with monkeypatch.context() as patch:
            patch.setattr(energy_billing, '_steady_pieces', steady)
            pieces, names = energy_billing.energy_pieces(usage, card,
                                                         estimated)
            costs = realtime.compute_costs(workloads, usage, card)
        with monkeypatch.context() as patch:
            patch.setattr(energy_billing, '_steady_pieces',
                          lambda *args: None)
            expected, expected_names = energy_billing.energy_pieces(
                usage, card, estimated)
            pd.testing.assert_frame_equal(
                realtime.compute_costs(workloads, usage, card), costs,
                check_exact=True)
        np.testing.assert_array_equal(names, expected_names)
        assert pieces.keys() == expected.keys()
        for name, values in pieces.items():
            if values.dtype == np.float64:
                _same_bits(values, expected[name])
            else:
                assert values.dtype == expected[name].dtype
                np.testing.assert_array_equal(values, expected[name])
    # most steady fleets go the short way, some the general one
    assert 25 <= sum(taken) < len(taken)


@pytest.mark.parametrize('step', [300, 700])
def test_steady_instants_on_one_grid_and_apart(step):
    """A grid from the first instant to the last when every series is on
    it, else the distinct instants; either way the instant of every
    sample. None for instants not whole, too early, or too many."""
    rng = np.random.default_rng(step)
    lengths = rng.integers(1, 30, 50)
    phase = step if step == 300 else 1
    begins = 1_770_000_000 + rng.integers(0, 500, 50) * phase
    whole = np.concatenate([b + np.arange(n) * step
                            for b, n in zip(begins, lengths, strict=True)])
    ends = np.cumsum(lengths) - 1
    seconds = whole.astype(float)
    instants, index = energy_billing._steady_instants(seconds, ends,
                                                      float(step))
    np.testing.assert_array_equal(instants[index], whole)
    if step == 300:
        np.testing.assert_array_equal(np.diff(instants), step)
    else:
        np.testing.assert_array_equal(instants, np.unique(whole))
    for other, other_ends, step_s in (
            (seconds + 0.5, ends, float(step)),  # not whole seconds
            (seconds - 1.768e9, ends, float(step)),  # before 1970-02-18
            (seconds, ends, step + 0.25),  # a step not whole
            # too many instants for the samples
            (1.77e9 + np.array([0.0, step, 1e8, 1e8 + step]),
             np.array([1, 3]), float(step))):
        assert energy_billing._steady_instants(other, other_ends,
                                               step_s) is None


@pytest.mark.parametrize('seed', range(4))
def test_rows_of_a_metric_from_its_runs(seed, monkeypatch):
    """The rows of a metric and the workloads that have one, from the
    runs of the metric codes (a workload's rows by metric, as stored) or
    row by row (shuffled), are those of the plain formula."""
    workloads, usage, card = _fleet(seed)
    if seed % 2:
        usage = usage.sort_values(['workload_id', 'metric', 'timestamp'],
                                  kind='stable', ignore_index=True)
    for runs_per_row in (1.0, 1 / 64, 0.0):
        monkeypatch.setattr(usage_codes, '_RUNS_PER_ROW', runs_per_row)
        coded = usage_codes.UsageCodes(usage)
        for chosen in ([metrics.POWER_WATTS],
                       [metrics.ACCELERATOR_POWER_WATTS],
                       [metrics.POWER_WATTS,
                        metrics.ACCELERATOR_POWER_WATTS], METRICS[:3]):
            mask = usage['metric'].isin(chosen).to_numpy()
            np.testing.assert_array_equal(coded.rows_of(*chosen),
                                          np.flatnonzero(mask))
            expected = pd.Index(coded.workload_names).isin(
                usage.loc[mask, 'workload_id'])
            np.testing.assert_array_equal(coded.has_metric(*chosen),
                                          expected)
            np.testing.assert_array_equal(coded.per_workload(mask),
                                          expected)
            for name in chosen:
                np.testing.assert_array_equal(
                    coded.workloads_of(name),
                    coded.workload[coded.rows_of(name)])
