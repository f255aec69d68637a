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
"""What an applied recommendation saved.

When Nova shows a recommendation acted on (see
:mod:`kcloud_analyzer.metrics_collector.nova`), the recommendation is
``applied`` at the time of the change. Once ``WINDOW_HOURS`` hours
(``[cost_model] efficacy_window``, 24 by default) have passed after the hour
of the change, the agent's cost job compares the workload's stored cost
records (allocation basis) of the ``WINDOW_HOURS`` hours after that hour
with those of the ``WINDOW_HOURS`` hours before the hour preceding it.
Neither the hour of the change nor the hour before it is counted: the
first holds both set-ups,
and the cost job prices its latest hour again on its next run, with the
workload's resources of that time, which may already be the new ones::

    cost per hour      = sum of total over the window / WINDOW_HOURS
    energy per hour    = sum of energy_kwh over the window / WINDOW_HOURS
    realised_monthly_saving = (before - after cost per hour) x 730
    realised_monthly_kwh    = (before - after energy per hour) x 730

An hour without a cost record cost nothing (a deleted workload costs
nothing after), so both windows are divided by the same number of hours.
The result is recorded once, with ``realised_at``; a negative figure means
the change cost more than before.
"""

import datetime

from oslo_log import log

from kcloud_analyzer.common import utils
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.db import api as db_api

LOG = log.getLogger(__name__)

#: hours compared on each side of the hour of the change, by default
WINDOW_HOURS = 24
_HOUR = datetime.timedelta(hours=1)


def window_hours(cost_model_conf):
    """Whole hours of ``[cost_model] efficacy_window`` (at least one)."""
    return max(1, int(cost_model_conf.efficacy_window) // 3600)


def windows(applied_at, hours=WINDOW_HOURS):
    """``((start, end), (start, end))`` of the windows before the hour
    preceding the hour of ``applied_at`` and after the hour of it."""
    changed = applied_at.replace(minute=0, second=0, microsecond=0)
    span = hours * _HOUR
    return ((changed - _HOUR - span, changed - _HOUR),
            (changed + _HOUR, changed + _HOUR + span))


def realised(before, after, hours=WINDOW_HOURS):
    """``(monthly saving, monthly kWh)`` from the ``(total, energy_kwh)``
    sums of the windows before and after."""
    month = ratecard.HOURS_PER_MONTH
    return ((before[0] - after[0]) / hours * month,
            (before[1] - after[1]) / hours * month)


def realise(context, now=None, hours=WINDOW_HOURS):
    """Record the realised saving of the applied recommendations whose
    window after the change has passed; returns how many were recorded.

    :param now: naive UTC datetime (tests); defaults to the current time.
    """
    now = now or utils.utcnow()
    # the window after ends hours + 1 after the hour of the change,
    # checked below for each
    due = db_api.recommendations_unrealised(context, now - hours * _HOUR)
    done = 0
    for item in due:
        (b_start, b_end), (a_start, a_end) = windows(item['applied_at'],
                                                     hours)
        if a_end > now:
            continue
        ids = [item['workload_id']]
        before = db_api.cost_window_sums(context, ids, b_start, b_end).get(
            item['workload_id'], (0.0, 0.0))
        after = db_api.cost_window_sums(context, ids, a_start, a_end).get(
            item['workload_id'], (0.0, 0.0))
        saving, kwh = realised(before, after, hours)
        db_api.recommendation_realise(context, item['uuid'], {
            'realised_monthly_saving': ratecard.to_money(saving),
            'realised_monthly_kwh': round(kwh, 6),
            'realised_at': now})
        LOG.info('Recommendation %s (%s of workload %s) realised %.2f a '
                 'month against %.2f promised, %.3f kWh a month',
                 item['uuid'], item['kind'], item['workload_id'], saving,
                 float(item['monthly_saving']), kwh)
        done += 1
    return done
