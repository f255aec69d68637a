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
"""Old rollups downsampled to hours, so that the retention stays bounded.

Rollups older than ``[DEFAULT] rollup_full_resolution_age`` are replaced
by one rollup per workload, metric and hour
(:func:`kcloud_analyzer.db.api.rollups_downsample`): the count-weighted
mean, the least minimum, the greatest maximum and the summed count (so
the sum) of the hour are kept exactly; the shape inside the hour is not.

What does not change:

- **Costs already priced.** Cost records and their totals are never
  touched, and an hour is downsampled only once it is priced: the cut is
  the newest priced hour at the latest (that hour itself is priced again
  by the next cost job run, so it stays at full resolution).
- **Hourly means.** The per-hour mean of a metric, which the cost lines
  other than energy are priced from, is the same when the hour's windows
  hold the same number of samples (the usual case: one sample per
  collection interval); otherwise the hourly rollup holds the
  count-weighted mean, which is the mean of the samples themselves.
- **Energy of whole hours.** Priced again from downsampled rollups
  (``cost reprocess``), an hour of evenly spaced samples with no gap
  integrates to the same kWh: its mean power held for the hour. Hours
  with gaps, partial hours and a tariff boundary inside an hour are not
  reproduced exactly (the time the samples covered inside the hour is not
  kept), which is why priced costs are never recomputed by this job.
"""

import datetime

from oslo_log import log

from kcloud_analyzer.common import utils
from kcloud_analyzer.db import api as db_api

LOG = log.getLogger(__name__)


def cut(conf, context, now=None, before=None):
    """The instant before which rollups are downsampled, or None.

    :param before: naive UTC datetime asked for instead of now minus
        ``rollup_full_resolution_age``; still never after the newest
        priced hour.
    """
    if before is None:
        age = conf.rollup_full_resolution_age
        if not age:
            return None
        before = (now or utils.utcnow()) - datetime.timedelta(seconds=age)
    priced = db_api.cost_records_latest_hour(context)
    if priced is None:
        return None
    return min(before, priced)


def downsample(conf, context, now=None, before=None):
    """Downsample the rollups before :func:`cut` to hours.

    :returns: ``(cut, hourly rollups written, rollups replaced)``; cut is
        None when nothing may be downsampled (disabled, or no hour
        priced yet).
    """
    until = cut(conf, context, now=now, before=before)
    if until is None:
        return None, 0, 0
    hours, replaced = db_api.rollups_downsample(context, until)
    if replaced:
        LOG.info('Downsampled %d rollups of windows before %s to %d hourly '
                 'rollups', replaced, until.isoformat(), hours)
    return until, hours, replaced
