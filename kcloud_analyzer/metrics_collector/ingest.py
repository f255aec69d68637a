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
"""From canonical samples to stored rollups, counting nothing twice.

Every batch of samples arrives with the ids of the messages (or polls) it
came from. An id is claimed in memory first, so two threads that received
the same redelivered message do not both fold it, then recorded in the
same transaction as the rollups it produced (``db.api.rollups_upsert``),
whose claim of the ids refuses the whole write when one of them was
recorded before. Only then are the ids already stored looked up and the
samples of the others written again: a redelivery is skipped without a
look-up round trip on every batch.
"""

import collections
import threading
import time

import numpy as np
import pandas as pd
from oslo_log import log as logging

from kcloud_analyzer.common import exception
from kcloud_analyzer.metrics_collector import rollup

LOG = logging.getLogger(__name__)


class IngestStats:
    """Counters of what happened to incoming messages (thread-safe)."""

    FIELDS = ('received', 'messages', 'samples', 'duplicates', 'malformed',
              'bad_signature', 'requeued', 'dropped')

    def __init__(self):
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(self.FIELDS, 0)
        self._lag = None
        self._last_stored = None

    def add(self, **counts):
        with self._lock:
            for name, value in counts.items():
                self._counts[name] += value

    def snapshot(self):
        with self._lock:
            return dict(self._counts)

    def published(self, epoch_seconds):
        """Note when the broker took the messages of a batch handled now
        (epoch seconds, NaN where unknown)."""
        known = epoch_seconds[np.isfinite(epoch_seconds)]
        if len(known):
            with self._lock:
                self._lag = max(0.0, time.time() - float(known.min()))

    def stored(self):
        with self._lock:
            self._last_stored = time.time()

    def lag(self):
        """(seconds the oldest message of the latest batch waited on the
        broker, Unix time of the latest store); None until known."""
        with self._lock:
            return self._lag, self._last_stored

    def __getattr__(self, name):
        if name in IngestStats.FIELDS:
            return self.snapshot()[name]
        raise AttributeError(name)


class WorkloadResolver:
    """Maps resource ids (instance UUIDs) to workload ids, with a cache.

    An instance that belongs to no recorded workload is its own workload,
    as DESIGN.md defines; entries expire after ``ttl`` seconds so a
    workload created by another agent is picked up.
    """

    def __init__(self, context, db, ttl=300.0, max_entries=100000):
        self._context = context
        self._db = db
        self._ttl = ttl
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._cache = collections.OrderedDict()

    def forget(self, instance_id):
        with self._lock:
            self._cache.pop(instance_id, None)

    def remember(self, instance_id, workload_id):
        with self._lock:
            self._store(instance_id, workload_id, time.monotonic())

    def _store(self, instance_id, workload_id, now):
        self._cache[instance_id] = (workload_id, now + self._ttl)
        self._cache.move_to_end(instance_id)
        while len(self._cache) > self._max_entries:
            self._cache.popitem(last=False)

    def resolve(self, resource_ids):
        """Return a Series of workload ids aligned with ``resource_ids``."""
        codes, unique = pd.factorize(np.asarray(resource_ids, dtype=object))
        now = time.monotonic()
        mapping, missing = {}, []
        with self._lock:
            for resource_id in unique:
                cached = self._cache.get(resource_id)
                if cached and cached[1] > now:
                    mapping[resource_id] = cached[0]
                else:
                    missing.append(resource_id)
        if missing:
            found = self._db.workload_ids_by_instance(self._context,
                                                      missing)
            with self._lock:
                for resource_id in missing:
                    workload_id = found.get(resource_id, resource_id)
                    mapping[resource_id] = workload_id
                    self._store(resource_id, workload_id, now)
        # each distinct id is looked up once; NaN where an id is missing
        workload_ids = np.array([mapping[i] for i in unique] + [np.nan],
                                dtype=object)
        return pd.Series(workload_ids[codes], dtype=object)


class _Claims:
    """Ids being processed or already stored by this process (bounded)."""

    def __init__(self, max_entries):
        self._lock = threading.Lock()
        self._ids = collections.OrderedDict()
        self._max_entries = max_entries

    def claim(self, ids):
        """Claim the ids nobody in this process holds; return them."""
        with self._lock:
            fresh = [i for i in dict.fromkeys(ids) if i not in self._ids]
            for message_id in fresh:
                self._ids[message_id] = True
            while len(self._ids) > self._max_entries:
                self._ids.popitem(last=False)
        return fresh

    def release(self, ids):
        with self._lock:
            for message_id in ids:
                self._ids.pop(message_id, None)


class Ingestor:
    """Stores canonical samples as rollups, idempotently.

    ``db`` is ``kcloud_analyzer.db.api`` (a parameter so a benchmark or a
    test can count calls); ``window`` is the rollup width in seconds.
    """

    def __init__(self, context, window, db=None, resolver=None,
                 max_claims=200000, stats=None):
        if db is None:
            from kcloud_analyzer.db import api as db
        self.context = context
        self.window = int(window)
        self.db = db
        self.resolver = resolver or WorkloadResolver(context, db)
        self.stats = stats or IngestStats()
        self._claims = _Claims(max_claims)
        self._write_lock = threading.Lock()

    def prepare(self):
        """Connect to the store ahead of the first batch (the agent does
        it as its listeners start); a failure is only logged: the first
        batch then connects, or is requeued, as it would have been."""
        try:
            self.db.rollups_prepare(self.context)
        except Exception as error:  # noqa: BLE001 - the batches retry
            LOG.warning('Could not connect to the store ahead of the '
                        'first batch: %s', error)

    def store(self, samples, message_ids):
        """Fold and store ``samples`` from the given messages.

        ``samples`` has columns resource_id, metric, timestamp, value and
        message_id. Samples of messages already stored are skipped. Raises
        what the database raises; the claims are then released so a
        redelivery is processed again. Returns the number of samples
        stored.
        """
        claimed = self._claims.claim(message_ids)
        if len(claimed) < len(set(message_ids)):
            self.stats.add(duplicates=len(set(message_ids)) - len(claimed))
        if not claimed:
            return 0
        try:
            try:
                # A message is nearly always new: it is written at once,
                # and the claim of its id in the same transaction tells
                # (by refusing the whole write) whether it was stored
                # before, by this agent or another.
                stored = self._write(samples, claimed)
            except exception.MessagesAlreadyRecorded:
                stored_before = self.db.message_ids_seen(self.context,
                                                         claimed)
                new_ids = [i for i in claimed if i not in stored_before]
                if stored_before:
                    self.stats.add(duplicates=len(stored_before))
                if not new_ids:
                    return 0
                # Recorded between this look-up and the write, the write
                # raises again: the batch is requeued, and the redelivery
                # finds the ids recorded.
                stored = self._write(samples, new_ids)
        except Exception:
            self._claims.release(claimed)
            raise
        self.stats.add(samples=stored)
        self.stats.stored()
        return stored

    def _write(self, samples, message_ids):
        """Fold the samples of ``message_ids`` and store them with the
        ids, in one transaction; return the number of samples."""
        fresh = samples[samples['message_id'].isin(message_ids)]
        fresh = fresh.assign(
            workload_id=self.resolver.resolve(
                fresh['resource_id'].to_numpy()).to_numpy())
        rows = rollup.rows(fresh, self.window)
        # One writer per process: the listener's threads fold in
        # parallel but merging into the same rows concurrently would
        # only make the transactions wait for (or deadlock) each other.
        with self._write_lock:
            self.db.rollups_upsert(self.context, rows,
                                   message_ids=message_ids)
        return len(fresh)

    def store_isolating(self, samples, message_ids, retryable):
        """:meth:`store`, splitting what the store refuses.

        When the store raises an error that is not one of ``retryable``
        (an outage, raised to the caller, which retries the whole), the
        messages are split in halves and each half stored on its own, down
        to single messages, so that the rows the store cannot take are
        isolated and every other message is stored. Returns {message id:
        the error} of the messages that could not be stored.
        """
        try:
            self.store(samples, message_ids)
            return {}
        except retryable:
            raise
        except Exception as error:
            if len(message_ids) == 1:
                LOG.warning('The store refused message %s: %s',
                            message_ids[0], error)
                return {message_ids[0]: error}
        middle = len(message_ids) // 2
        failed = {}
        for half in (message_ids[:middle], message_ids[middle:]):
            part = samples[samples['message_id'].isin(half)]
            failed.update(self.store_isolating(part, half, retryable))
        return failed
