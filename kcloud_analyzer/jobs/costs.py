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
"""Price hours of usage, find recommendations, store both.

:func:`price` is the pricing itself (the API's ``/analyze`` and the agent
call it alike). :func:`update_costs` is the agent's periodic task (every
``[agent] analysis_interval``): it prices, from the usage rollups, every
hour from the newest hour already priced (priced again: it may have been
partial) up to now, writes the cost records of both bases, and replaces
each workload's recommendations with those computed over the last
:data:`RECOMMENDATION_DAYS` days. :func:`reprocess_costs` prices a past
window again and :func:`month_end_forecast` forecasts the month's spend.
"""

import datetime

from oslo_log import log
import numpy as np
import pandas as pd

from kcloud_analyzer.api import cache
from kcloud_analyzer.common import utils
from kcloud_analyzer.cost_model import flavors as flavors_lib
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.cost_model import realtime
from kcloud_analyzer.cost_model import recommendations
from kcloud_analyzer.cost_model import spend
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import efficacy
from kcloud_analyzer.jobs import frames

LOG = log.getLogger(__name__)

#: days of usage the recommendations are computed from (a week covers the
#: daily and weekly cycles that sizing advice must not miss)
RECOMMENDATION_DAYS = 7
#: hours of rollups read before the first hour a run prices: the energy
#: at the start of that hour is integrated from the sample before it
LEAD_HOURS = 1

#: what the store keeps of a recommendation (besides its workload)
RECOMMENDATION_FIELDS = ('project_id', 'kind', 'action', 'monthly_saving',
                         'monthly_kwh', 'currency', 'confidence',
                         'evidence')


def price(workloads, usage, card, flavors=()):
    """The hourly costs of ``usage`` and the recommendations they lead to.

    :param flavors: flavors to offer to resizes besides the rate card's
        (see :func:`.cost_model.flavors.learned_flavors`)
    :raises realtime.CostInputError: usage the rate card cannot price
    :returns: ``(costs, recommendations)``
    """
    costs = realtime.compute_costs(workloads, usage, card)
    found = recommendations.recommend(workloads, usage, costs, card,
                                      flavors=flavors)
    return costs, found


def store_recommendations(context, workload_ids, found):
    """Replace the recommendations of each of ``workload_ids`` with those
    of ``found`` (none for a workload that has none any more)."""
    by_workload = {w: [] for w in workload_ids}
    for item in found:
        by_workload[item['workload_id']].append(
            {key: item[key] for key in RECOMMENDATION_FIELDS})
    for workload_id, rows in by_workload.items():
        db_api.recommendations_replace(context, workload_id, rows)


def store_costs(conf, context, costs):
    """Write the cost records of ``costs``; return how many.

    Once they are committed, cached cost summaries are made unreachable
    (:func:`kcloud_analyzer.api.cache.cost_records_changed`).
    """
    written = db_api.cost_records_upsert(context,
                                         realtime.cost_record_rows(costs))
    if written:
        cache.cost_records_changed(conf)
    return written


#: the columns of a workloads frame that a resource change replaces
RESOURCE_COLUMNS = ('cpu_cores', 'memory_gb', 'gpu_count', 'npu_count',
                    'accelerator')


def _resource_values(resources, accelerator):
    """The :data:`RESOURCE_COLUMNS` of a noted version, as
    :func:`.frames.workload_frame` reads a workload's."""
    return (float(resources.get('cpu_cores') or 0),
            float(resources.get('memory_gb') or 0),
            int(resources.get('gpu_count') or 0),
            int(resources.get('npu_count') or 0),
            accelerator or resources.get('accelerator'))


def in_force(context, workloads, usage, card, costs):
    """``costs`` with the hours of the workloads whose resources changed
    priced with the resources in force at the end of each hour.

    :func:`realtime.compute_costs` prices with the workloads frame, that
    is with today's resources. For a workload with a noted change
    (:func:`kcloud_analyzer.db.api.resource_changes`), each hour is priced
    again with the version noted last at or before the hour's end (the
    first noted version before its first change); an hour whose version
    equals today's keeps its row. Each other version is priced over the
    workload's whole usage and only its own hours are kept, so that the
    energy at an hour's start is integrated as in one pass.
    """
    if costs.empty:
        return costs
    changes = db_api.resource_changes(context, workloads['workload_id'])
    if not changes:
        return costs
    current = workloads.set_index('workload_id')
    ends = (pd.DatetimeIndex(costs['hour']).as_unit('ns')
            + pd.Timedelta(hours=1)).asi8
    rounds = []
    for workload_id, rows in costs.groupby(
            'workload_id', sort=False, observed=True).indices.items():
        history = changes.get(workload_id)
        if history is None or workload_id not in current.index:
            continue
        times = pd.to_datetime([h[0] for h in history],
                               utc=True).as_unit('ns').asi8
        version = np.maximum(np.searchsorted(times, ends[rows],
                                             side='right') - 1, 0)
        today = tuple(current.loc[workload_id, list(RESOURCE_COLUMNS)])
        job = 0
        for number in np.unique(version):
            values = _resource_values(*history[number][1:])
            if values == today:
                continue
            if len(rounds) <= job:
                rounds.append({})
            rounds[job][workload_id] = (values, rows[version == number])
            job += 1
    if not rounds:
        return costs
    kept, parts = np.ones(len(costs), dtype=bool), [costs]
    for jobs in rounds:
        ids = list(jobs)
        frame = current.loc[ids].reset_index()
        frame[list(RESOURCE_COLUMNS)] = pd.DataFrame(
            [jobs[w][0] for w in ids], columns=list(RESOURCE_COLUMNS))
        mine = usage.loc[usage['workload_id'].isin(ids)].copy()
        if isinstance(mine['workload_id'].dtype, pd.CategoricalDtype):
            mine['workload_id'] = (
                mine['workload_id'].cat.remove_unused_categories())
        again = realtime.compute_costs(frame, mine, card).set_index(
            ['workload_id', 'hour'])
        for workload_id, (_, rows) in jobs.items():
            kept[rows] = False
            keys = pd.MultiIndex.from_arrays(
                [[workload_id] * len(rows), costs['hour'].iloc[rows]])
            parts.append(again.loc[keys].reset_index())
    parts[0] = costs.loc[kept]
    result = pd.concat(parts, ignore_index=True).sort_values(
        ['workload_id', 'hour'], kind='stable', ignore_index=True)
    result.attrs = costs.attrs
    LOG.debug('Priced %d hour(s) of %d workload(s) with the resources '
              'in force then', int((~kept).sum()),
              len({w for jobs in rounds for w in jobs}))
    return result


def price_from(latest, workload_ids, now):
    """``{workload_id: first hour to price}``: each workload's newest
    priced hour (priced again: it may have been seen only in part), or
    :data:`RECOMMENDATION_DAYS` before ``now`` for one never priced or
    priced longer ago; never after ``now``.

    :param latest: ``{workload_id: newest hour with cost records}``.
    """
    oldest = now - datetime.timedelta(days=RECOMMENDATION_DAYS)
    return {w: max(min(latest.get(w, oldest), now), oldest)
            for w in workload_ids}


def update_costs(conf, context, now=None, owns=None, recommend=True):
    """Price the hours not priced yet and, with ``recommend``, refresh the
    recommendations, a batch of workloads at a time
    (:func:`.frames.workload_batches`).

    Each workload is priced from its own watermark (:func:`price_from`):
    an agent that took over workloads, or one that was stopped, prices
    every hour they missed. Without ``recommend`` a run reads only the
    rollups of those hours and :data:`LEAD_HOURS` before them, not the
    :data:`RECOMMENDATION_DAYS` the recommendations need.

    :param now: naive UTC datetime (tests); defaults to the current time.
    :param owns: ``owns(workload_id)``: only those workloads (an agent's
        share of the hash ring); all when None.
    :param recommend: also refresh the recommendations (reads a week).
    :returns: (cost records written, recommendations stored; 0 without
        ``recommend``)
    """
    now = now or utils.utcnow()
    card = ratecard.load_rate_card(conf.cost_model.rate_card_file)
    window_start = now - datetime.timedelta(days=RECOMMENDATION_DAYS)
    seen, current = db_api.instance_flavors(context)
    flavors = flavors_lib.learned_flavors(seen)
    written = hours = advised = 0
    for workloads in frames.workload_batches(context, owns=owns):
        first = price_from(db_api.cost_records_latest_hours(
            context, workloads['workload_id']), workloads['workload_id'],
            now)
        read_from = window_start if recommend else (
            min(first.values()) - datetime.timedelta(hours=LEAD_HOURS))
        for part, usage in frames.usage_parts(context, workloads,
                                              start=read_from, end=now):
            part = part.assign(flavor=part['workload_id'].map(current))
            if recommend:
                costs, found = price(part, usage, card, flavors=flavors)
            else:
                costs, found = realtime.compute_costs(part, usage,
                                                      card), None
            costs = in_force(context, part, usage, card, costs)
            since = costs['workload_id'].map(
                {w: pd.Timestamp(first[w], tz='UTC') for w in
                 part['workload_id']})
            fresh = costs.loc[costs['hour'] >= since].copy()
            fresh.attrs = costs.attrs
            written += store_costs(conf, context, fresh)
            hours += len(fresh)
            if found is not None:
                store_recommendations(context,
                                      costs['workload_id'].unique(), found)
                advised += len(found)
    if recommend:
        LOG.info('Priced %d workload-hours; %d recommendations', hours,
                 advised)
    else:
        LOG.info('Priced %d workload-hours', hours)
    # applied recommendations whose window after the change has passed
    efficacy.realise(context, now,
                     hours=efficacy.window_hours(conf.cost_model))
    return written, advised


def _window_totals(context, start, end, project_id):
    """Total cost, kWh and record count of both bases in a window."""
    totals = {'total': 0.0, 'energy_kwh': 0.0, 'hours': 0}
    currency = None
    for basis in ('allocation', 'usage'):
        for row in db_api.cost_summary(context, 'project', 'month',
                                       start=start, end=end,
                                       project_id=project_id, basis=basis):
            if basis == 'allocation':
                totals['total'] += float(row['total'] or 0)
                totals['energy_kwh'] += float(row['energy_kwh'] or 0)
                currency = row['currency']
            totals['hours'] += int(row['hours'])
    return totals, currency


def reprocess_costs(conf, context, start, end, project_id=None):
    """Price again the hours of ``[start, end)`` from the stored rollups.

    For a rate card change or rollups that arrived late: every hour of
    the window that has rollups is priced with the current card and the
    workload's resources in force then (:func:`in_force`), and its
    records (both bases) replaced, so running it twice changes nothing
    more. Hours without rollups keep their records: rollups older than the
    retention are gone, their bills are not.

    :param start: naive UTC datetime, first hour of the window.
    :param end: naive UTC datetime, end of the window (exclusive).
    :param project_id: only this project's workloads; None for all.
    :returns: dict with ``records_written``, ``currency`` and the window's
        totals ``before`` and ``after`` (allocation basis cost and kWh;
        records of both bases).
    """
    before, currency = _window_totals(context, start, end, project_id)
    card = ratecard.load_rate_card(conf.cost_model.rate_card_file)
    workloads, usage = frames.from_store(context, start=start, end=end)
    if project_id is not None:
        workloads = workloads.loc[workloads['project_id'] == project_id]
    stop = pd.Timestamp(end, tz='UTC')
    usage = usage.loc[usage['workload_id'].isin(workloads['workload_id'])]
    written = 0
    if not usage.empty:
        costs = in_force(context, workloads, usage, card,
                         realtime.compute_costs(workloads, usage, card))
        inside = costs.loc[(costs['hour'] >= pd.Timestamp(start, tz='UTC'))
                           & (costs['hour'] < stop)].copy()
        inside.attrs = costs.attrs
        written = store_costs(conf, context, inside)
    after, currency_after = _window_totals(context, start, end, project_id)
    LOG.info('Reprocessed costs from %s to %s (%s): %d records, total '
             '%.6f -> %.6f', start.isoformat(), end.isoformat(),
             project_id or 'all projects', written, before['total'],
             after['total'])
    return {'records_written': written,
            'currency': currency_after or currency,
            'before': before, 'after': after}


def month_end_forecast(context, group_by, now, project_id=None,
                       basis='allocation'):
    """Spend so far this month and forecast to its end, per group.

    :param group_by: ``project`` or ``workload``.
    :param now: aware UTC datetime.
    :returns: list of dicts ``group, currency, so_far, rest, forecast,
        lower, upper, hours_left, method`` (80 % interval).
    """
    rows = db_api.cost_summary(
        context, group_by, 'hour',
        start=spend.history_start(now).tz_localize(None).to_pydatetime(),
        project_id=project_id, basis=basis)
    frame = pd.DataFrame(rows, columns=['group', 'period_start', 'total',
                                        'currency'])
    currency = frame.groupby('group')['currency'].last().to_dict()
    table = spend.month_end(pd.DataFrame({
        'key': frame['group'],
        'hour': pd.to_datetime(frame['period_start'], utc=True),
        'cost': frame['total'].astype(float)}), now)
    return [{'group': key, 'currency': currency.get(key),
             'so_far': float(row['so_far']), 'rest': float(row['rest']),
             'forecast': float(row['month_end']),
             'lower': float(row['lower']), 'upper': float(row['upper']),
             'hours_left': int(row['hours_left']),
             'method': row['method']}
            for key, row in table.iterrows()]
