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
"""The base of collector plugins (namespace ``kcloud_analyzer.collectors``).

A collector polls one kind of source. Its work is a list of *targets*
(a BMC, an instance, a scrape target): the agent splits the targets of
every collector over the live agents with a tooz hash ring, so each target
is polled by exactly one agent, and calls :meth:`Collector.poll` with the
targets it owns every ``collection_interval`` seconds.

Time is cut into *slots* of ``collection_interval`` seconds
(``int(epoch // collection_interval)``). The samples of one target's poll
in one slot carry one message id (:func:`poll_id`), so a slot polled twice
(by two agents while the ring changes, or by a retry) is counted once.
A collector whose source keeps history (:attr:`Collector.backfill`) can be
asked for a past slot: the agent then polls every slot of a target from
the last one stored for it (its *watermark*, kept in the database) to now,
so the slots of an agent that died are polled by the next owner.
"""

import abc
import hashlib

import pandas as pd

from kcloud_analyzer.metrics_collector import normalise

SAMPLE_COLUMNS = list(normalise.SAMPLE_COLUMNS) + ['message_id']


def poll_id(collector, target, slot):
    """The message id of one target's poll in one interval slot.

    Stored with the rollups it produced, so a second poll of the same target
    in the same slot (an agent taking over a target mid-interval) is not
    counted again. Fits the 64 characters the store keeps.
    """
    key = '%s\x00%s\x00%d' % (collector, target, slot)
    return 'poll-' + hashlib.sha256(key.encode('utf-8')).hexdigest()[:48]


def empty_samples():
    return normalise.empty_samples(['message_id'])


def with_poll_ids(samples, collector, target_column, slot):
    """Add the poll message ids to ``samples`` (one per target)."""
    if samples.empty:
        return empty_samples()
    ids = {target: poll_id(collector, target, slot)
           for target in pd.unique(samples[target_column])}
    return samples.assign(message_id=samples[target_column].map(ids))[
        SAMPLE_COLUMNS]


class Collector(metaclass=abc.ABCMeta):
    """A polling collector.

    :param conf: the service's ConfigOpts; a collector reads only its own
                 option group (and ``[DEFAULT]``).
    """

    #: the plugin's name in the namespace (set by each plugin)
    name = None

    #: True when ``poll(targets, when)`` with a past ``when`` reads what
    #: the source held then (the agent then backfills missed slots)
    backfill = False

    def __init__(self, conf):
        self.conf = conf

    @abc.abstractmethod
    def targets(self):
        """All targets of this collector (strings), whoever polls them."""

    @abc.abstractmethod
    def poll(self, targets, now):
        """Poll ``targets`` at ``now`` (epoch seconds); a time in the past
        when :attr:`backfill` is set.

        Returns canonical samples: a frame with columns resource_id (an
        instance or workload id), metric, timestamp (epoch seconds), value
        and message_id (see :func:`poll_id`).
        """

    def workloads(self, targets):
        """Workload records the collector knows about, as dicts for
        ``db.api.workload_upsert`` (most collectors know none)."""
        return []

    def close(self):  # noqa: B027 - most collectors hold nothing to close
        """Release connections; called when the agent stops."""
