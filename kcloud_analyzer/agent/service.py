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
"""The kcloud-analyzer-agent service.

One agent runs:

- the notification listeners (one pool shared by all agents, so N agents
  split each queue);
- the polling of the enabled collectors every ``collection_interval``:
  the targets of every collector are split over the live agents of a
  tooz group with a consistent hash ring, so each target is polled by
  exactly one agent, and a target of an agent that leaves is taken over at
  the next poll;
- the analysis task (``[agent] analysis_interval``, hourly) that updates
  workload profiles, classes and costs, and the retraining of each model
  on its ``retrain_interval`` under a tooz lock, so one agent retrains;
  each run in a process of its own (:mod:`.analysis`), so that the worker
  that ingests never loads the analytics libraries;
- the export of changed rollups to InfluxDB when ``[influxdb] url`` is set;
- the retention purge and the downsampling of old rollups to hours.

Stopping (SIGTERM) stops the listener and waits for the batches in flight
to be stored or requeued, then leaves the group.

The module is a little over 500 lines because :class:`AgentService` is the
one owner of the agent's shared state (listeners, the tooz coordinator and
hash ring, the periodic threads, the ingestor) through start, reload and
stop; its tasks are short calls into ``jobs`` and ``db`` that need that
state (locks, the ring, the poll watermarks), so moving them out would only
pass it around.
"""

import datetime
import socket
import threading
import time
import urllib.parse
import uuid

from oslo_log import log as logging
from oslo_service.backend import base as service_base
import numpy as np
import pandas as pd
from tooz import coordination
from tooz import partitioner as tooz_partitioner

from kcloud_analyzer.agent import analysis
from kcloud_analyzer.agent import influxdb
from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import prometheus
from kcloud_analyzer.common import rpc
from kcloud_analyzer.common import utils
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import retention
from kcloud_analyzer.metrics_collector import collectors as collector_plugins
from kcloud_analyzer.metrics_collector.collectors import base as collector_base
from kcloud_analyzer.metrics_collector import deadletter
from kcloud_analyzer.metrics_collector import ingest
from kcloud_analyzer.metrics_collector import normalise
from kcloud_analyzer.metrics_collector import notifications

LOG = logging.getLogger(__name__)

#: model name -> (option group with retrain_interval, retraining task of
#: :mod:`.analysis`, which calls ``jobs.training.<task>(conf, context)``).
RETRAIN_TASKS = {
    'workload_classifier': ('workload_classifier', 'retrain_classifier'),
    'cost_model': ('cost_model', 'retrain_cost_model'),
}


#: polled samples kept per collector while the database refuses them
MAX_UNSTORED_SAMPLES = 1000000


class _Every(threading.Thread):
    """Calls ``task`` every ``interval()`` seconds until ``stop`` is set,
    and at once when ``wake`` (an Event, optional) is set."""

    def __init__(self, name, interval, task, stop, initial_delay=0.0,
                 wake=None):
        super().__init__(name=name, daemon=True)
        self._interval = interval
        self._task = task
        self._stopping = stop
        self._initial_delay = initial_delay
        self._wake = wake

    def _sleep(self, seconds):
        """Wait; True when the service stops."""
        if self._wake is None:
            return self._stopping.wait(seconds)
        deadline = time.monotonic() + seconds
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or self._wake.wait(min(left, 0.2)):
                self._wake.clear()
                break
        return self._stopping.is_set()

    def run(self):
        if self._stopping.wait(self._initial_delay):
            return
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                with prometheus.timed_task(self.name):
                    self._task()
            except Exception:
                LOG.exception('Task %s failed; it runs again in %ss',
                              self.name, self._interval())
            elapsed = time.monotonic() - started
            if self._sleep(max(0.0, self._interval() - elapsed)):
                return


class Partitioner(tooz_partitioner.Partitioner):
    """tooz's partitioner, whose ring follows the group's members even
    when one joined while it was made.

    tooz's reads the members for its ring, then its watchers read them
    again: a member that joined in between is in no ring and no join
    event, and when it left, tooz's leave hook raised ``UnknownNode`` at
    every ``run_watchers``, which then never recorded the change (an agent
    stopped seeing the group change and took over nothing). Here a leave
    of a member the ring lacks is no error, and :meth:`reconcile` makes
    the ring's nodes the group's members.
    """

    def _on_member_leave(self, event):
        if event.member_id in self.ring.nodes:
            super()._on_member_leave(event)

    def reconcile(self):
        members = set(self._coord.get_members(self.group_id).get())
        for member in members - set(self.ring.nodes):
            capabilities = self._coord.get_member_capabilities(
                self.group_id, member).get()
            self.ring.add_node(member, capabilities.get('weight', 1)
                               if isinstance(capabilities, dict) else 1)
        for member in set(self.ring.nodes) - members:
            self.ring.remove_node(member)


class AgentService(service_base.ServiceBase):
    """The agent; ``db`` is ``kcloud_analyzer.db.api`` (configured)."""

    def __init__(self, conf, db=None, member_id=None, listen=True):
        super().__init__()
        self.conf = conf
        self.db = db or db_api
        self._member_prefix = (member_id or conf.agent.member_id or
                               socket.gethostname())
        self.member_id = None
        self.listen = listen
        self.collectors = {}
        #: collector name -> the targets this agent polled last time
        self.assignments = {}
        self.polls = 0
        self._threads = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.listeners = []
        self._dlq = []
        self.transport = None
        self.coordinator = None
        self.partitioner = None
        self.metrics_server = None
        self.influx = None
        self._exported_until = None
        self._retrain_attempts = {}
        #: time.monotonic() of the last recommendation refresh
        self._recommended_at = None
        #: collector name -> polled samples not stored yet (retried)
        self._unstored = {}
        self._known_workloads = set()
        #: set when the coordination group changed: poll at once
        self._ring_changed = threading.Event()
        self._members = frozenset()
        #: the analysis or retraining process running (analysis_process)
        self._children = set()

    # -------------------------------------------------------- lifecycle

    def start(self):
        conf = self.conf
        self._stop.clear()
        self.context = kcontext.get_admin_context()
        self.ingestor = ingest.Ingestor(self.context, conf.rollup_window,
                                        db=self.db)
        prometheus.watch_ingest(self.ingestor.stats)
        self._serve_metrics()
        self.influx = influxdb.writer(conf)
        if self.influx is not None:
            self._exported_until = utils.utcnow()
        self.collectors = collector_plugins.load(conf)
        frozen = utils.tune_garbage_collection()
        LOG.debug('%d objects of the start left out of garbage collection',
                  frozen)
        if self.listen:
            # the store's connection is opened while the listener starts,
            # not by its first batch (nor in its way: the connection is
            # retried for as long as [database] max_retries says)
            threading.Thread(target=self.ingestor.prepare,
                             name='prepare-store', daemon=True).start()
            self._start_listener()
        # Join the ring only once ready to poll: a member is given its
        # targets at once (a respawned worker takes over part of them).
        self._start_coordination()
        self._spawn('poll', lambda: self.conf.collection_interval,
                    self.poll_once, wake=self._ring_changed)
        self._spawn('ring', self.heartbeat_interval, self.watch_ring)
        self._spawn('analysis', lambda: self.conf.agent.analysis_interval,
                    self.analyse_once,
                    initial_delay=min(60.0, conf.agent.analysis_interval))
        self._spawn('retrain', lambda: self.conf.agent.analysis_interval,
                    self.retrain_once,
                    initial_delay=min(120.0, conf.agent.analysis_interval))
        self._spawn('purge', lambda: self.conf.agent.purge_interval,
                    self.purge_once)
        if self.influx:
            self._spawn('influxdb', lambda: self.conf.collection_interval,
                        self.export_once,
                        initial_delay=conf.collection_interval / 2.0)
        LOG.info('Agent %s started (collectors: %s)', self.member_id,
                 ', '.join(self.collectors) or 'none')

    def _serve_metrics(self):
        port = self.conf.agent.metrics_port
        if not port or self.metrics_server is not None:
            return
        try:
            self.metrics_server = prometheus.serve(
                port, self.conf.agent.metrics_host)
        except OSError as error:
            # Another agent on this host has the port: the work goes on,
            # unmeasured here.
            LOG.warning('Cannot serve metrics on [%s]:%d (%s); set [agent] '
                        'metrics_port to a free port, or 0',
                        self.conf.agent.metrics_host, port, error)
            return
        LOG.info('Prometheus metrics on [%s]:%d/metrics',
                 self.conf.agent.metrics_host, port)

    def _spawn(self, name, interval, task, initial_delay=0.0, wake=None):
        thread = _Every(name, interval, task, self._stop, initial_delay,
                        wake)
        thread.start()
        self._threads.append(thread)

    def _start_listener(self):
        self.transport = rpc.get_transport(self.conf)
        group = self.conf.notification

        def endpoints(topic):
            return notifications.endpoints(
                self.ingestor, self.context, self.db,
                telemetry_secret=group.telemetry_secret,
                npu_aliases=group.npu_aliases,
                metadata_key=group.workload_metadata_key,
                dead_letters=self._dead_letters(topic))

        self.listeners = rpc.get_listeners(self.conf, self.transport,
                                           endpoints)
        for listener in self.listeners:
            listener.start()

    def _dead_letters(self, topic):
        letters = deadletter.DeadLetters(
            self.conf, deadletter.broker_url(self.conf), topic)
        self._dlq.append(letters)
        return letters

    def heartbeat_interval(self):
        """Seconds between two heartbeats: ``[coordination]
        heartbeat_interval``, or a quarter of the collection interval."""
        return (self.conf.coordination.heartbeat_interval or
                max(0.5, self.conf.collection_interval / 4.0))

    def coordination_url(self):
        """The backend URL with a membership timeout of two heartbeats
        (unless the URL sets one): a dead agent leaves the ring within
        half a collection interval."""
        url = self.conf.coordination.backend_url
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qsl(parts.query)
        if any(name == 'membership_timeout' for name, _ in query):
            return url
        query.append(('membership_timeout',
                      '%g' % (2 * self.heartbeat_interval())))
        return urllib.parse.urlunsplit(
            parts._replace(query=urllib.parse.urlencode(query)))

    def _start_coordination(self):
        # A fresh id on every start: a worker process respawned after a
        # crash must not claim the id of its dead predecessor, whose
        # membership is still alive until it expires.
        self.member_id = '%s.%s' % (self._member_prefix,
                                    uuid.uuid4().hex[:12])
        self.coordinator = coordination.get_coordinator(
            self.coordination_url(), self.member_id.encode('utf-8'))
        self.coordinator.start(start_heart=True)
        # what join_partitioned_group does, with the partitioner below
        group = self.conf.agent.coordination_group.encode('utf-8')
        self.coordinator.join_group_create(group,
                                           capabilities={'weight': 1})
        self.partitioner = Partitioner(self.coordinator, group)
        self._members = frozenset(self.partitioner.ring.nodes)

    def watch_ring(self):
        """Refresh the group's members; poll at once when they changed,
        so the targets of an agent that died are taken over without
        waiting for the next interval."""
        self.coordinator.run_watchers()
        self.partitioner.reconcile()
        members = frozenset(self.partitioner.ring.nodes)
        prometheus.RING_MEMBERS.set(len(members))
        if members != self._members:
            LOG.info('Coordination group changed: %d agents',
                     len(members))
            self._members = members
            self._ring_changed.set()

    def stop(self, graceful=True):
        """Drain the listener, stop the tasks and leave the group."""
        self._stop.set()
        # an analysis run is not waited for: what it had not committed is
        # rolled back, and the next run does it again
        for child in list(self._children):
            child.kill()
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
            self.metrics_server.server_close()
            self.metrics_server = None
        # stop() stops fetching; wait() returns once the batches that were
        # being handled are stored or requeued.
        for listener in self.listeners:
            listener.stop()
        for listener in self.listeners:
            listener.wait()
        self.listeners = []
        for letters in self._dlq:
            letters.close()
        self._dlq = []
        for thread in self._threads:
            thread.join(timeout=60)
        self._threads = []
        for collector in self.collectors.values():
            collector.close()
        if self.coordinator is not None:
            # Stopped while starting: the group may not be joined yet.
            if self.partitioner is not None:
                try:
                    self.coordinator.leave_partitioned_group(
                        self.partitioner)
                except coordination.ToozError:
                    LOG.warning('Could not leave the coordination group; '
                                'the other agents take over when it '
                                'expires')
                self.partitioner = None
            self.coordinator.stop()
            self.coordinator = None
        if self.transport is not None:
            self.transport.cleanup()
            self.transport = None
        if self.influx is not None:
            self.influx.close()
        LOG.info('Agent %s stopped', self.member_id)

    def wait(self):
        self._stop.wait()
        for thread in list(self._threads):
            thread.join()

    def reset(self):
        """After a configuration reload: reload the collectors."""
        with self._lock:
            for collector in self.collectors.values():
                collector.close()
            self.collectors = collector_plugins.load(self.conf)
        LOG.info('Configuration reloaded; collectors: %s',
                 ', '.join(self.collectors) or 'none')

    # ------------------------------------------------------------ tasks

    def owns_workload(self, workload_id):
        """Whether this agent analyses ``workload_id``: the workloads are
        split over the live agents with the same hash ring as the polling
        targets (all of them before the agent joined its group)."""
        if self.partitioner is None:
            return True
        return self.partitioner.belongs_to_self('workload/%s' % workload_id)

    def my_targets(self, name, targets):
        """The targets of collector ``name`` that this agent polls."""
        self.coordinator.run_watchers()
        return [t for t in targets
                if self.partitioner.belongs_to_self('%s/%s' % (name, t))]

    def poll_once(self, now=None):
        now = time.time() if now is None else now
        with self._lock:
            collectors = dict(self.collectors)
        for name, collector in collectors.items():
            try:
                mine = self.my_targets(name, collector.targets())
                self.assignments[name] = set(mine)
                if not mine:
                    continue
                for values in collector.workloads(
                        [t for t in mine if (name, t) not in
                         self._known_workloads]):
                    self.db.workload_upsert(self.context, values)
                    self._known_workloads.add((name, values['workload_id']))
                if collector.backfill:
                    polled, samples = self._poll_from_watermarks(
                        name, collector, mine, now)
                else:
                    polled, samples = None, collector.poll(mine, now)
            except Exception:
                LOG.exception('Polling %s failed', name)
                continue
            self.ingestor.stats.add(received=len(samples))
            # Samples a failed store left behind go first; their message
            # ids keep a second attempt from counting anything twice. (A
            # collector that backfills polls them again from its
            # watermarks instead.)
            pending = self._unstored.pop(name, None)
            if pending is not None:
                samples = pd.concat([pending, samples], ignore_index=True)
            if not samples.empty and not self._store_polled(
                    name, samples, keep=not collector.backfill):
                continue
            if polled:
                self._advance_watermarks(name, polled)
        self.polls += 1

    def slot(self, when):
        """The collection-interval slot of ``when`` (epoch seconds)."""
        return int(when // self.conf.collection_interval)

    def _poll_from_watermarks(self, name, collector, targets, now):
        """Poll every slot of ``targets`` after its watermark, up to the
        current one and at most ``[agent] max_backfill`` back; a target
        without a watermark (never polled) from the current slot.

        Returns ({slot: targets polled up to it}, samples).
        """
        interval = self.conf.collection_interval
        current = self.slot(now)
        phase = now - current * interval
        earliest = current - self.conf.agent.max_backfill // interval
        marks = self.db.poll_watermarks_get(self.context, name, targets)
        starts = np.array([max(marks[t] + 1, earliest) if t in marks
                           else current for t in targets], dtype='int64')
        names = np.array(targets, dtype=object)
        frames, polled = [], {}
        if starts.size and starts.min() < current:
            late = starts < current
            LOG.info('Backfilling %d slots of %d targets of %s (%s)',
                     int((current - starts[late]).sum()), int(late.sum()),
                     name, ', '.join(sorted(names[late])[:5]))
        for slot in range(int(starts.min()) if starts.size else current,
                          current + 1):
            due = list(names[starts <= slot])
            if not due:
                continue
            frames.append(collector.poll(due, slot * interval + phase))
            if slot < current:
                prometheus.POLLS_BACKFILLED.inc(len(due))
        due = list(names[starts <= current])
        if due:
            polled[current] = due
        if not frames:
            return polled, collector_base.empty_samples()
        return polled, pd.concat(frames, ignore_index=True)

    def _advance_watermarks(self, name, polled):
        for slot, targets in polled.items():
            try:
                self.db.poll_watermarks_set(self.context, name, targets,
                                            slot, polled_by=self.member_id)
            except Exception:
                # the next poll polls these slots again; their message ids
                # keep them from being counted twice
                LOG.exception('Could not record the polls of %s up to slot '
                              '%d', name, slot)

    def _store_polled(self, name, samples, keep=True):
        """Store polled samples; False when the store failed (they are
        then kept for the next poll when ``keep`` is set)."""
        samples, refused = normalise.validate_samples(samples, time.time())
        if not refused.empty:
            for reason, count in refused['reason'].value_counts().items():
                prometheus.malformed(reason, int(count))
            LOG.warning('Refused %d samples polled by %s (%s)', len(refused),
                        name, ', '.join('%s %d' % item for item in
                                        refused['reason'].value_counts(
                                        ).items()))
        if samples.empty:
            return True
        try:
            failed = self.ingestor.store_isolating(
                samples, list(samples['message_id'].unique()),
                db_api.RETRYABLE_ERRORS)
        except Exception:
            if keep:
                # bounded: a long outage keeps the most recent samples
                self._unstored[name] = samples.tail(MAX_UNSTORED_SAMPLES)
            LOG.exception('Storing %d samples of %s failed; they are '
                          'retried at the next poll', len(samples), name)
            return False
        for message_id, error in failed.items():
            LOG.error('The store refused the samples of poll %s of %s: %s',
                      message_id, name, error)
        return True

    def analyse_once(self):
        LOG.info('Notifications and polls since start: %s',
                 ', '.join('%s %d' % item
                           for item in self.ingestor.stats.snapshot().items()))
        if self.coordinator is not None:
            self.coordinator.run_watchers()
        recommend = self.recommendations_due()
        self._run_job('analyse', recommend=recommend)
        if recommend:
            self._recommended_at = time.monotonic()

    def _run_job(self, task, **arguments):
        """Run an :mod:`.analysis` task on this agent's workloads, in a
        process of its own with ``[agent] analysis_process``; raises when
        it failed."""
        if not self.conf.agent.analysis_process:
            analysis.run(self.conf, self.context,
                         dict(arguments, task=task),
                         owns=self.owns_workload)
            return
        child = analysis.Child(
            self.conf, task,
            ring=analysis.ring_share(self.partitioner, self.member_id),
            **arguments)
        self._children.add(child)
        if self._stop.is_set():
            # stop() came while it started
            child.kill()
        try:
            child.wait()
        except RuntimeError:
            if self._stop.is_set():
                LOG.info('%s stopped with the agent', task)
                return
            raise
        finally:
            self._children.discard(child)

    def recommendations_due(self):
        """Whether this analysis run also refreshes the recommendations
        (``[agent] recommendation_interval``)."""
        return (self._recommended_at is None or
                time.monotonic() - self._recommended_at >=
                self.conf.agent.recommendation_interval)

    def retrain_once(self):
        for name, (group, task) in RETRAIN_TASKS.items():
            interval = getattr(self.conf, group).retrain_interval
            latest = self.db.model_version_get_latest(self.context, name)
            if latest is not None and (
                    utils.utcnow() - latest['trained_at']).total_seconds() < \
                    interval:
                continue
            # A training that found nothing to learn from (or failed) is
            # not tried again before its interval, on this agent.
            attempted = self._retrain_attempts.get(name)
            if attempted is not None and \
                    time.monotonic() - attempted < interval:
                continue
            lock = self.coordinator.get_lock(
                ('kcloud-analyzer-retrain-%s' % name).encode('utf-8'))
            if not lock.acquire(blocking=False):
                continue
            self._retrain_attempts[name] = time.monotonic()
            try:
                LOG.info('Retraining %s', name)
                self._run_job(task)
            finally:
                lock.release()

    def purge_once(self):
        before = utils.utcnow() - datetime.timedelta(
            days=self.conf.metrics_retention_days)
        deleted = self.db.rollups_purge(self.context, before)
        if deleted:
            LOG.info('Purged %d rollups of windows before %s', deleted,
                     before)
        # One agent at a time: two would merge the same windows.
        lock = self.coordinator.get_lock(b'kcloud-analyzer-downsample')
        if not lock.acquire(blocking=False):
            return
        try:
            retention.downsample(self.conf, self.context)
        finally:
            lock.release()

    def export_once(self):
        started = utils.utcnow()
        rows = self.db.rollups_updated_since(self.context,
                                             self._exported_until)
        if rows:
            self.influx.write(rows)
        self._exported_until = started
