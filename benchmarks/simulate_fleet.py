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
"""Fleet simulation: the real kcloud-analyzer-agent and API on PostgreSQL
under a synthetic fleet of ``--workloads`` workloads.

Each workload follows a real utilisation shape: the per-minute GPU duty
cycle of one of the Alibaba GenAI serving pods, or the per-second GPU
activity of one of the MIGProfiler training and batch-inference runs
(``shared/data``), at a random phase. Every ``collection_interval`` (30 s)
it reports four Ceilometer meters (``cpu_util``, ``memory.usage``,
``power``, ``network.incoming.bytes.rate``) derived from that shape.

For each fleet size the script

1. creates a scratch PostgreSQL database and the workloads in it;
2. publishes ``--minutes`` minutes of the fleet's samples to a fresh topic
   on RabbitMQ (a backlog), then starts one ``kcloud-analyzer-agent``
   and times how long it takes to store them all (from its first stored
   rollup to the last). The agent is two processes: oslo.service's
   manager, which imports the agent and forks the worker that ingests and
   analyses. The script reads the worker's peak RSS (VmHWM) and the
   manager's before they stop, and every second the worker's VmRSS and
   the PSS of both (their RSS both count the pages they share since the
   fork; their PSS do not): ``agent-<n>-rss.csv`` beside the agent's log;
3. measures the store: rollup rows and bytes per rollup row, hence rows
   and bytes per day of the whole fleet;
4. runs the agent's analysis jobs once (profiles and classes, then
   costs) in a process of its own, timing them (wall and CPU) and reading
   its peak RSS (VmHWM: ru_maxrss would include this script's own);
5. with ``--agent-jobs``, publishes the same minutes of the fleet again
   (new message ids, so they are stored again) to a second agent whose
   first analysis starts 5 s after it (``[agent] analysis_interval``):
   it ingests the backlog while its analysis thread profiles, classifies
   and prices the fleet. Its memory is read as in step 2 once the backlog
   is stored and its first analysis run has ended
   (``agent-jobs-<n>-rss.csv``);
6. starts ``kcloud-analyzer-api`` and times ``GET /api/v1/cost/{id}``;
7. drops the database and deletes the queues (also on Ctrl-C/SIGTERM).

The last line per size is::

    BENCH fleet workloads=<n> ingest_samples_per_s=<x> agents_needed=<a>
    rollup_rows_per_day=<r> db_mb_per_day=<m> analysis_s=<t>
    analysis_cpu_s=<c> analysis_peak_rss_mb=<m> api_p50_ms=<a>
    api_p99_ms=<b> agent_ingest_peak_rss_mb=<m>
    load=<1-minute load average at the end>

``agent_ingest_peak_rss_mb`` is the worker's peak in step 2. With
``--agent-jobs`` these come before ``load``: ``agent_peak_rss_mb`` (the
worker's peak in step 5), ``agent_manager_rss_mb`` (the manager's),
``agent_pss_mb`` (the largest PSS of both read), ``agent_jobs_s`` (wall
time of an analysis run), ``agent_cpu_s`` (the worker's CPU time, all
threads) and ``agent_ingest_samples_per_s`` (its ingest rate beside the
jobs).
"""

import argparse
import datetime
import http.client
import os
import pathlib
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import numpy as np
import pandas as pd
import sqlalchemy as sa

import bench_ingest
from kcloud_analyzer.common import datasets
from kcloud_analyzer.common import rpc

METERS = 4
INTERVAL_S = 30
WINDOWS_PER_DAY = 24 * 12
#: seconds from the start of the ``--agent-jobs`` agent to its first
#: analysis run (its [agent] analysis_interval)
JOBS_DELAY = 5

AGENT_CONFIG = """[DEFAULT]
state_path = {state}
transport_url = {rabbit}
control_exchange = {exchange}
collection_interval = {interval}
[database]
connection = {url}
[collector]
enabled =
[notification]
topics = {topic}
exchanges = {exchange}
pool = {pool}
[coordination]
backend_url = {redis}
[agent]
member_id = fleet-{run}
coordination_group = fleet-{run}
analysis_interval = {analysis_interval}
metrics_port = {metrics_port}
metrics_host = 127.0.0.1
[api]
host = 127.0.0.1
port = {port}
auth_strategy = noauth
workers = 1
"""


def real_shapes():
    """Utilisation shapes (percent, one value per 30 s) of real jobs."""
    root = datasets.data_dir()
    shapes = []
    duty = pd.read_csv(root / 'alibaba_genai_serving_2026_dev' /
                       'pod_gpu_duty_cycle_anon.csv.gz')
    for _, pod in duty.groupby('container_ip'):
        values = pod.sort_values('timestamp_anon')['value'].to_numpy()
        if len(values) >= 30:
            shapes.append(np.repeat(np.clip(values, 0, 100), 2))
    usage = pd.read_csv(root / 'migprofiler_a100_mig_runs' /
                        'usage.csv.gz')
    usage = usage[usage['metric'] == 'gpu_utilization']
    for _, run in usage.groupby('workload_id'):
        values = run['value'].to_numpy()
        if len(values) >= 60:
            shapes.append(values[:len(values) // 30 * 30].reshape(
                -1, 30).mean(axis=1))
    return shapes


def fleet_payloads(workloads, minutes, shapes, seed=7, per_message=100):
    """The Ceilometer sample payloads of the whole fleet, vectorised."""
    rng = np.random.default_rng(seed)
    steps = minutes * 60 // INTERVAL_S
    ids = np.array(['fleet-%06d' % i for i in range(workloads)])
    picks = rng.integers(0, len(shapes), workloads)
    phases = rng.integers(0, 10000, workloads)
    util = np.empty((workloads, steps))
    for i, (pick, phase) in enumerate(zip(picks, phases, strict=True)):
        shape = shapes[pick]
        util[i] = shape[(phase + np.arange(steps)) % len(shape)]
    # the fleet's last minutes up to now: the agent's jobs analyse the
    # last day and price the last week
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    base = now.replace(second=0, microsecond=0) - datetime.timedelta(
        minutes=minutes)
    times = [(base + datetime.timedelta(seconds=INTERVAL_S * s)).isoformat()
             for s in range(steps)]
    values = {
        'cpu_util': 5 + util * 0.6,
        'memory.usage': 8192 + util * 200,
        'power': 250 + util * 6.5,
        'network.incoming.bytes.rate': util * 1e5,
    }
    units = {'cpu_util': '%', 'memory.usage': 'MB', 'power': 'W',
             'network.incoming.bytes.rate': 'B/s'}
    payloads, payload = [], []
    for step in range(steps):
        for i in range(workloads):
            for name, series in values.items():
                payload.append({
                    'source': 'openstack', 'counter_name': name,
                    'counter_type': 'gauge', 'counter_unit': units[name],
                    'counter_volume': float(series[i, step]),
                    'user_id': 'fleet', 'project_id':
                        'project-%03d' % (i % 100),
                    'resource_id': ids[i], 'timestamp': times[step],
                    'resource_metadata': {'vcpus': 16, 'memory_mb': 131072,
                                          'flavor': {'name': 'g1.xlarge'}},
                    'message_id': uuid.uuid4().hex,
                })
                if len(payload) == per_message:
                    payloads.append(payload)
                    payload = []
    if payload:
        payloads.append(payload)
    return payloads


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def create_workloads(url, workloads):
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("""
            INSERT INTO workloads (workload_id, project_id, status,
                declared_type, resources, accelerator, created_at,
                started_at)
            SELECT 'fleet-' || lpad(i::text, 6, '0'),
                   'project-' || lpad((i % 100)::text, 3, '0'), 'active',
                   NULL, json_build_object('cpu_cores', 16, 'memory_gb',
                                           128, 'gpu_count', 1 + i % 4),
                   'A100', now(), TIMESTAMP '2026-01-01'
            FROM generate_series(0, :n - 1) AS i"""), {'n': workloads})
    engine.dispose()


def stored_samples(engine):
    with engine.connect() as connection:
        return connection.execute(sa.text(
            'SELECT coalesce(sum(count), 0) FROM usage_rollups')).scalar()


def load_average():
    with open('/proc/loadavg') as stream:
        return stream.read().split()[0]


def proportional_mb(pid):
    """The proportional set size of ``pid`` (its private pages and its
    share of those it shares, as with its parent after a fork), in MB;
    0 once it is gone."""
    pss = bench_ingest.proc_mb(pid, 'Pss', name='smaps_rollup')['Pss']
    return 0.0 if pss != pss else pss


def children(pid):
    """The ids of the live child processes of ``pid``."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as stream:
                fields = stream.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


class AgentMemory:
    """The memory of a running ``kcloud-analyzer-agent``: a supervising
    process (oslo.service's cotyledon manager) that imports the agent and
    forks the worker that ingests, and the processes the worker starts for
    each analysis run (``[agent] analysis_process``). The manager's and
    the worker's RSS count the pages they still share since the fork; the
    sum of the PSS of all of them does not count them twice."""

    def __init__(self, pid):
        self.pid = pid
        self.workers = set()
        self.largest_rss = 0.0
        self.largest_pss = 0.0
        #: the largest VmHWM of an analysis process, read every sample
        self.analysis_peak = 0.0

    def sample(self):
        """Read the processes; returns (worker VmRSS, PSS of all)."""
        workers = children(self.pid)
        self.workers.update(workers)
        runs = [run for worker in workers for run in children(worker)]
        rss = sum(bench_ingest.proc_mb(w, 'VmRSS')['VmRSS'] for w in workers)
        pss = proportional_mb(self.pid) + sum(proportional_mb(p)
                                              for p in workers + runs)
        for run in runs:
            peak = bench_ingest.proc_mb(run, 'VmHWM')['VmHWM']
            if peak == peak:
                self.analysis_peak = max(self.analysis_peak, peak)
        if workers:
            self.largest_rss = max(self.largest_rss, rss)
        self.largest_pss = max(self.largest_pss, pss)
        return rss, pss

    def peaks(self):
        """(worker VmHWM, manager VmHWM): read before they exit."""
        workers = children(self.pid)
        if len(self.workers) != 1 or len(workers) != 1:
            raise RuntimeError('expected one agent worker, saw %s' %
                               sorted(self.workers | set(workers)))
        return (bench_ingest.proc_mb(workers[0], 'VmHWM')['VmHWM'],
                bench_ingest.proc_mb(self.pid, 'VmHWM')['VmHWM'])


def cpu_seconds(pid):
    """User and system CPU seconds of ``pid``, all its threads, and of the
    children it waited for (its analysis runs)."""
    with open('/proc/%d/stat' % pid) as stream:
        fields = stream.read().rsplit(')', 1)[1].split()
    return sum(map(int, fields[11:15])) / os.sysconf('SC_CLK_TCK')


def analysis_runs(port):
    """(runs ended, runs failed, seconds of them all) of the agent's
    analysis task, from its Prometheus metrics; None when it does not
    answer yet."""
    try:
        connection = http.client.HTTPConnection('127.0.0.1', port,
                                                timeout=5)
        connection.request('GET', '/metrics')
        text = connection.getresponse().read().decode()
    except OSError:
        return None
    values = {}
    for line in text.splitlines():
        if 'task="analysis"' in line and not line.startswith('#'):
            values[line.split('{', 1)[0]] = float(line.rsplit(None, 1)[1])
    return (int(values.get('kcloud_analyzer_task_duration_seconds_count', 0)),
            int(values.get('kcloud_analyzer_task_failures_total', 0)),
            values.get('kcloud_analyzer_task_duration_seconds_sum', 0.0))


def run_agent(config, url, sent, timeout, log, metrics_port, series,
              analyse=False):
    """Start the agent on a backlog of ``sent`` new samples and wait until
    they are stored and, with ``analyse``, until its first analysis run has
    ended; read its memory before stopping it.

    Writes ``seconds,worker_rss_mb,agent_pss_mb,stored,analysis_runs``
    lines to ``series`` every second. Returns a dict: ``rate`` (samples
    stored per second, from the first stored to the last),
    ``worker_peak`` (VmHWM of the worker process), ``manager_peak``
    (VmHWM of its manager), ``rss`` (the worker's largest VmRSS read),
    ``pss`` (the largest PSS of both read), ``jobs_s`` (mean seconds of
    the analysis runs that ended), ``cpu_s`` (CPU seconds of the worker).
    """
    engine = sa.create_engine(url)
    before = stored_samples(engine)
    agent = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable),
                      'kcloud-analyzer-agent'), '--config-file', config],
        stdout=subprocess.DEVNULL, stderr=log)
    memory = AgentMemory(agent.pid)
    launched = time.monotonic()
    deadline = launched + timeout
    first = stored_at = runs = None
    stored = 0
    sampled = 0.0
    series.write('seconds,worker_rss_mb,agent_pss_mb,stored,'
                 'analysis_runs\n')
    try:
        while True:
            now = time.monotonic()
            if stored_at is None:
                stored = stored_samples(engine) - before
                if stored and first is None:
                    first = (now, stored)
                if stored >= sent:
                    stored_at = now
            if now - sampled >= 1.0 or stored_at == now:
                sampled = now
                runs = analysis_runs(metrics_port) or runs
                rss, pss = memory.sample()
                series.write('%.1f,%.1f,%.1f,%d,%d\n' % (
                    now - launched, rss, pss, stored,
                    runs[0] if runs else 0))
                series.flush()
                if analyse and runs and runs[1]:
                    raise RuntimeError('the agent\'s analysis failed; see '
                                       'its log')
                if stored_at is not None and (
                        not analyse or (runs and runs[0])):
                    break
            if now > deadline or agent.poll() is not None:
                raise RuntimeError('%d of %d samples stored, %s analysis '
                                   'runs ended' % (stored, sent,
                                                   runs[0] if runs else 0))
            time.sleep(0.2)
        worker_peak, manager_peak = memory.peaks()
        result = {
            'worker_peak': worker_peak, 'manager_peak': manager_peak,
            'rss': memory.largest_rss, 'pss': memory.largest_pss,
            'analysis_peak': memory.analysis_peak,
            'cpu_s': cpu_seconds(sorted(memory.workers)[0]),
            'jobs_s': runs[2] / runs[0] if runs and runs[0] else 0.0}
        if first[1] < sent:
            result['rate'] = (sent - first[1]) / (stored_at - first[0])
        else:
            # all stored before the first look: a lower bound, start
            # included
            result['rate'] = sent / (stored_at - launched)
        return result
    finally:
        agent.terminate()
        try:
            agent.wait(timeout=60)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()
        engine.dispose()


#: The jobs' peak RSS is their process's VmHWM, not ru_maxrss: Linux
#: carries the peak RSS of the process that forked a child over into the
#: child's ru_maxrss across exec, and this script holds the whole fleet's
#: payloads (about 435 MB at 10,000 workloads), which ru_maxrss reported
#: as the jobs' own.
ANALYSIS = """
import sys, time
from kcloud_analyzer import service
from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import costs, profiles
conf = service.prepare_service(['--config-file', sys.argv[1]])
db_api.configure(conf)
context = kcontext.get_admin_context()
started, cpu = time.monotonic(), time.process_time()
profiles.update_profiles(conf, context)
costs.update_costs(conf, context)
with open('/proc/self/status') as status:
    hwm = [line.split()[1] for line in status if line.startswith('VmHWM:')]
print('%.3f %.3f %.1f' % (time.monotonic() - started,
      time.process_time() - cpu, int(hwm[0]) / 1024.0))
"""


def analysis(config):
    """Wall and CPU seconds of the jobs and their process's peak RSS."""
    output = subprocess.run([sys.executable, '-c', ANALYSIS, config],
                            capture_output=True, text=True, check=False)
    if output.returncode:
        raise RuntimeError('analysis failed: %s' % output.stderr[-2000:])
    seconds, cpu, rss = output.stdout.split()[-3:]
    return float(seconds), float(cpu), float(rss)


def api_latency(config, port, workloads, seconds, concurrency=4):
    api = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable),
                      'kcloud-analyzer-api'), '--config-file', config],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latencies = []
    lock = threading.Lock()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                probe = http.client.HTTPConnection('127.0.0.1', port,
                                                   timeout=5)
                probe.request('GET', '/health')
                probe.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

        def worker(seed):
            rng = random.Random(seed)
            connection = http.client.HTTPConnection('127.0.0.1', port,
                                                    timeout=30)
            stop = time.monotonic() + seconds
            mine = []
            while time.monotonic() < stop:
                path = '/api/v1/cost/fleet-%06d' % rng.randrange(workloads)
                started = time.perf_counter()
                connection.request('GET', path)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError('%s answered %d' % (path,
                                                           response.status))
                mine.append((time.perf_counter() - started) * 1000.0)
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=worker, args=(n,))
                   for n in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        api.terminate()
        try:
            api.wait(timeout=60)
        except subprocess.TimeoutExpired:
            api.kill()
    latencies.sort()
    return (statistics.median(latencies),
            latencies[int(0.99 * (len(latencies) - 1))],
            len(latencies) / seconds)


def database_bytes(url):
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            'SELECT count(*) FROM usage_rollups')).scalar()
        size = connection.execute(sa.text(
            "SELECT pg_total_relation_size('usage_rollups')")).scalar()
    engine.dispose()
    return rows, size


def record_trained_models(url):
    """Record the classifier and the cost model as trained just now, so
    that the agent's retraining thread finds nothing due: without them an
    agent retrains both at its first start. (The classifier file is not
    there: the jobs classify with the rules classifier, as in step 4.)"""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for name in ('workload_classifier', 'cost_model'):
            connection.execute(sa.text("""
                INSERT INTO model_versions (name, version, trained_at,
                    metrics, file, data)
                SELECT :name, coalesce(max(version), 0) + 1,
                       now() AT TIME ZONE 'utc', '{}', '', '{}'
                FROM model_versions WHERE name = :name"""), {'name': name})
    engine.dispose()


def agent_jobs(args, workloads, transport_args, payloads, settings):
    """Step 5: the same minutes of the fleet again, under new message ids,
    to an agent that analyses while it ingests them."""
    exchange, topic, queue = transport_args
    for payload in payloads:
        for sample in payload:
            sample['message_id'] = uuid.uuid4().hex
    sent = sum(len(p) for p in payloads)
    metrics_port = free_port()
    config = pathlib.Path(settings['state']) / 'kcloud-analyzer-jobs.conf'
    # the first run starts JOBS_DELAY after the agent, while it stores the
    # backlog, and the next ones at once after it
    config.write_text(AGENT_CONFIG.format(
        analysis_interval='%ds' % JOBS_DELAY, metrics_port=metrics_port,
        **settings) + settings['extra'])
    if not args.agent_retrain:
        record_trained_models(settings['url'])
    _, transport = bench_ingest.make_transport(args.rabbit_url, exchange)
    bench_ingest.declare(transport, topic, queue)
    bench_ingest.publish(transport, topic, payloads)
    transport.cleanup()
    directory = pathlib.Path(args.log_dir)
    with open(directory / ('agent-jobs-%d.log' % workloads), 'w') as log, \
            open(directory / ('agent-jobs-%d-rss.csv' % workloads),
                 'w') as series:
        result = run_agent(str(config), settings['url'], sent, args.timeout,
                           log, metrics_port, series, analyse=True)
    print('  agent ingesting %d samples (%.0f/s) while analysing (%.1f s '
          'a run): worker peak RSS %.0f MB (VmRSS at most %.0f MB read '
          'every second; CPU %.1f s with its analysis runs), analysis '
          'process %.0f MB, manager %.0f MB, all %.0f MB PSS' % (
              sent, result['rate'], result['jobs_s'], result['worker_peak'],
              result['rss'], result['cpu_s'], result['analysis_peak'],
              result['manager_peak'], result['pss']), flush=True)
    return result


def simulate(args, workloads, shapes):
    run = uuid.uuid4().hex[:8]
    topic = 'kca-fleet-%s' % run
    pool = 'kca-fleet-pool-%s' % run
    exchange = 'kca-fleet-%s' % run
    # the agent's own queue, declared first so that the backlog waits in it
    queue = rpc.pool_queue(pool, topic)
    queues = [queue, topic + '.sample']
    payloads = fleet_payloads(workloads, args.minutes, shapes)
    sent = sum(len(p) for p in payloads)
    try:
        with bench_ingest.scratch_database(args.pg_url) as url, \
                tempfile.TemporaryDirectory(prefix='kca-fleet-') as state:
            create_workloads(url, workloads)
            port = free_port()
            settings = {
                'state': state, 'rabbit': args.rabbit_url,
                'interval': INTERVAL_S, 'url': url, 'topic': topic,
                'pool': pool, 'exchange': exchange,
                'redis': args.redis_url, 'run': run, 'port': port}
            extra = ''
            if args.agent_config:
                extra = pathlib.Path(args.agent_config).read_text()
            settings['extra'] = extra
            config = pathlib.Path(state) / 'kcloud-analyzer.conf'
            metrics_port = free_port()
            config.write_text(AGENT_CONFIG.format(
                analysis_interval='7d', metrics_port=metrics_port,
                **settings) + settings['extra'])
            conf, transport = bench_ingest.make_transport(args.rabbit_url,
                                                          exchange)
            bench_ingest.declare(transport, topic, queue)
            started = time.monotonic()
            bench_ingest.publish(transport, topic, payloads)
            transport.cleanup()
            print('%d workloads: published %d samples (%d min of the '
                  'fleet) in %.0f s' % (workloads, sent, args.minutes,
                                        time.monotonic() - started),
                  flush=True)
            directory = pathlib.Path(args.log_dir)
            with open(directory / ('agent-%d.log' % workloads),
                      'w') as log, \
                    open(directory / ('agent-%d-rss.csv' % workloads),
                         'w') as series:
                alone = run_agent(str(config), url, sent, args.timeout, log,
                                  metrics_port, series)
            rate = alone['rate']
            rows, size = database_bytes(url)
            rows_per_day = workloads * METERS * WINDOWS_PER_DAY
            mb_per_day = size / max(rows, 1) * rows_per_day / 2 ** 20
            needed = workloads * METERS / INTERVAL_S / rate
            print('  ingest %.0f samples/s (agent worker peak RSS %.0f MB, '
                  'manager %.0f MB, both %.0f MB PSS); %d rollup rows, '
                  '%.0f bytes each' % (
                      rate, alone['worker_peak'], alone['manager_peak'],
                      alone['pss'], rows, size / max(rows, 1)),
                  flush=True)
            seconds, cpu, rss = analysis(str(config))
            print('  analysis %.1f s (CPU %.1f s), peak RSS %.0f MB' % (
                seconds, cpu, rss), flush=True)
            if args.agent_jobs:
                together = agent_jobs(args, workloads, transport_args=(
                    exchange, topic, queue), payloads=payloads,
                    settings=settings)
            p50, p99, rps = api_latency(str(config), port, workloads,
                                        args.api_seconds)
            print('  GET /api/v1/cost/{id}: p50 %.1f ms, p99 %.1f ms, '
                  '%.0f rps' % (p50, p99, rps), flush=True)
    finally:
        bench_ingest.delete_queues(args.rabbit_url, queues, [exchange])
    extra = ' agent_ingest_peak_rss_mb=%.0f' % alone['worker_peak']
    if args.agent_jobs:
        extra += (' agent_peak_rss_mb=%.0f agent_analysis_peak_rss_mb=%.0f '
                  'agent_manager_rss_mb=%.0f '
                  'agent_pss_mb=%.0f agent_jobs_s=%.1f agent_cpu_s=%.1f '
                  'agent_ingest_samples_per_s=%.0f' % (
                      together['worker_peak'], together['analysis_peak'],
                      together['manager_peak'],
                      together['pss'], together['jobs_s'],
                      together['cpu_s'], together['rate']))
    print('BENCH fleet workloads=%d ingest_samples_per_s=%.0f '
          'agents_needed=%.2f rollup_rows_per_day=%d db_mb_per_day=%.1f '
          'analysis_s=%.1f analysis_cpu_s=%.1f analysis_peak_rss_mb=%.0f '
          'api_p50_ms=%.1f api_p99_ms=%.1f%s load=%s' % (
              workloads, rate, needed, rows_per_day, mb_per_day, seconds,
              cpu, rss, p50, p99, extra, load_average()),
          flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--workloads', type=int, nargs='+',
                        default=[1000, 10000])
    parser.add_argument('--minutes', type=int, default=10,
                        help='minutes of the fleet published per size')
    parser.add_argument('--api-seconds', type=float, default=10.0)
    parser.add_argument('--rabbit-url',
                        default='rabbit://guest:guest@127.0.0.1:5672/')
    parser.add_argument('--redis-url', default='redis://127.0.0.1:6379')
    parser.add_argument('--pg-url', default=(
        'postgresql+psycopg2://openstack_citest:openstack_citest@'
        '127.0.0.1:5432/openstack_citest'))
    parser.add_argument('--timeout', type=float, default=3600.0)
    parser.add_argument('--agent-jobs', action='store_true',
                        help='also measure the peak RSS of an agent that '
                             'ingests a backlog while its analysis '
                             'thread runs the jobs')
    parser.add_argument('--agent-retrain', action='store_true',
                        help='with --agent-jobs, let that agent retrain '
                             'the classifier and the cost model too, as '
                             'it does at its first start (by default '
                             'they are recorded as just trained)')
    parser.add_argument('--agent-config', metavar='FILE',
                        help='options appended to the agents\' '
                             'configuration (e.g. [notification] '
                             'batch_size); a later value of an option '
                             'wins')
    parser.add_argument('--log-dir', default=tempfile.gettempdir(),
                        help='where the agent logs go (agent-<n>.log); '
                             'made if missing')
    args = parser.parse_args(argv)
    pathlib.Path(args.log_dir).mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    shapes = real_shapes()
    print('%d real utilisation shapes' % len(shapes), flush=True)
    for workloads in args.workloads:
        simulate(args, workloads, shapes)
    return 0


if __name__ == '__main__':
    sys.exit(main())
