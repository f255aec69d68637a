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
"""Benchmark: profile and classify 10,000 workloads over one day, streamed.

Each workload has one day of samples (every 30 s by default: 2,880; every
300 s with ``--step 300``, the agent's 5-minute rollups) of four metrics
(GPU utilisation, GPU memory, CPU utilisation, accelerator power), made by
the synthetic generator, a third of each class's shape (every workload
kept running for the whole day, so that all rows are full; the predicted
classes are therefore not a measure of accuracy).

The fleet is never held in memory at once. Like the agent's profile job,
which reads its workloads a batch at a time with their rollups, the
telemetry is made ``--batch`` workloads at a time (untimed), then the batch
is analysed (timed): resource and energy profiles, features and the
random-forest classification, vectorised over the batch (2-D ``workloads
x samples`` float32 arrays, blocks of ``--batch / --workers`` rows on
``--workers`` threads). The batch is dropped before the next one is made,
so the memory is bounded by one batch, not by the workload count. The
training of the forest is not timed either.

A run is first made at ``--small`` workloads, then ``--runs`` runs at
``--workloads``; ``ru_maxrss`` never goes down, so the peak after the
small run and after the large ones tell whether the memory is flat in the
workload count. Printed: the wall and CPU time (all threads) of the timed
part of each run, their median and range, the load average before and
after, and the peak resident memory of the whole process. The last line
is::

    BENCH classify workloads=10000 runs=3 seconds=<median> seconds_min=<s>
    seconds_max=<s> cpu_seconds=<median> peak_mb=<mb> peak_mb_small=<mb>

(on one line). Targets: 1 s and 500 MB for 10,000 workloads.
"""

import argparse
import concurrent.futures
import inspect
import os
import resource
import statistics
import time

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics
from kcloud_analyzer.workload_analyzer.classifiers import random_forest
from kcloud_analyzer.workload_analyzer import features
from kcloud_analyzer.workload_analyzer import series as series_lib
from kcloud_analyzer.workload_analyzer import synthetic

DAY_S = 86400.0
BENCH_METRICS = (metrics.GPU_UTILIZATION, metrics.GPU_MEMORY_UTILIZATION,
                 metrics.CPU_UTILIZATION, metrics.ACCELERATOR_POWER_WATTS)
GENERATION_BATCH = 125
#: False on a tree whose analyze_in_chunks makes its own threads each call
#: (to measure an older version with the same script).
SHARED_POOL = 'executor' in inspect.signature(
    features.analyze_in_chunks).parameters
#: The forest's probabilities as the classifier takes them (scikit-learn's
#: own on an older tree).
PREDICT_PROBA = getattr(random_forest, 'predict_proba',
                        lambda forest, values: forest.predict_proba(values))


def make_telemetry(offset, count, rng, start_s, step_s):
    """One day of the four metrics for workloads ``offset`` to
    ``offset + count``, float32, made ``GENERATION_BATCH`` at a time, each
    piece of one class (rotating over the classes with the offset)."""
    width = int(DAY_S / step_s)
    values = {metric: np.empty((count, width), dtype=np.float32)
              for metric in BENCH_METRICS}
    ids = np.empty(count, dtype=object)
    classes = np.empty(count, dtype=object)
    for first in range(0, count, GENERATION_BATCH):
        rows = slice(first, min(first + GENERATION_BATCH, count))
        workload_class = synthetic.CLASSES[
            (offset + first) // GENERATION_BATCH % len(synthetic.CLASSES)]
        series, _ = synthetic.generate(
            rows.stop - rows.start, workload_class, rng, step_s=step_s,
            window_s=DAY_S, start_s=start_s, prefix=f'w{offset + first}',
            dtype=np.float32, drop_metrics=False, whole_window=True,
            npu_share=0.0)
        for metric in BENCH_METRICS:
            values[metric][rows] = series.block(metric).values
        ids[rows] = series.workload_ids
        classes[rows] = workload_class
    times = start_s + np.arange(width) * step_s
    blocks = {metric: series_lib.MetricBlock(times=times, values=block)
              for metric, block in values.items()}
    workloads = pd.DataFrame({
        'workload_id': ids, 'type': classes, 'cpu_cores': 8.0,
        'memory_gb': 64.0, 'gpu_count': 1, 'npu_count': 0,
        'accelerator': 'gpu', 'project_id': 'bench'})
    return series_lib.SeriesSet(workload_ids=ids, blocks=blocks), workloads


def train_forest(rng, per_class=150):
    frames, labels = [], []
    for workload_class in synthetic.CLASSES:
        series, workloads = synthetic.generate(per_class, workload_class, rng,
                                               prefix=workload_class)
        frames.append(features.analyze(series, workloads)[2])
        labels += [workload_class] * per_class
    return random_forest.fit(pd.concat(frames), labels)


def run(bundle, count, args, seed, pool):
    """Make and classify ``count`` workloads a batch at a time, on the
    threads of ``pool`` (one pool for every batch, as a long-running agent
    keeps its threads).

    :returns: ``(wall_s, cpu_s, classified)`` of the timed part.
    """
    rng = np.random.default_rng(seed)
    forest, names = bundle['estimator'], bundle['feature_names']
    chunk_rows = -(-args.batch // args.workers)
    wall = cpu = 0.0
    classified = 0
    for offset in range(0, count, args.batch):
        series, workloads = make_telemetry(
            offset, min(args.batch, count - offset), rng, start_s=1.7e9,
            step_s=args.step)
        cpu_started = time.process_time()
        started = time.perf_counter()
        resources, energies, feature_frame = features.analyze_in_chunks(
            series, workloads, chunk_rows=chunk_rows, workers=args.workers,
            **({'executor': pool} if SHARED_POOL else {}))
        predicted = forest.classes_[np.argmax(PREDICT_PROBA(
            forest, feature_frame[names].to_numpy(dtype=float)), axis=1)]
        wall += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
        classified += len(predicted)
        del series, workloads, resources, energies, feature_frame, predicted
    return wall, cpu, classified


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--workloads', type=int, default=10000)
    parser.add_argument('--small', type=int, default=1000,
                        help='workloads of the run made first, whose peak '
                             'memory is compared with the large runs')
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--batch', type=int, default=1000,
                        help='workloads made and analysed together')
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--step', type=float, default=30.0,
                        help='seconds between samples (300: the agent\'s '
                             '5-minute rollups)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()

    bundle = train_forest(np.random.default_rng(args.seed))
    print(f'telemetry: {int(DAY_S / args.step)} samples x '
          f'{len(BENCH_METRICS)} metrics a workload, batches of '
          f'{args.batch} on {args.workers} thread(s)')
    load_before = os.getloadavg()[0]

    pool = concurrent.futures.ThreadPoolExecutor(args.workers)
    wall, cpu, _ = run(bundle, args.small, args, args.seed + 1, pool)
    small_peak = peak_mb()
    print(f'workloads={args.small} seconds={wall:.2f} '
          f'cpu_seconds={cpu:.2f} peak_mb={small_peak:.0f}')

    walls, cpus = [], []
    for number in range(args.runs):
        wall, cpu, classified = run(bundle, args.workloads, args,
                                    args.seed + 1, pool)
        walls.append(wall)
        cpus.append(cpu)
        # CPU time of all threads: on a busy shared machine the wall time
        # depends on the other jobs, this much less.
        print(f'run {number + 1}: workloads={classified} '
              f'seconds={wall:.2f} cpu_seconds={cpu:.2f} '
              f'load_average={os.getloadavg()[0]:.1f}')
    pool.shutdown()
    peak = peak_mb()
    print(f'memory: peak_mb={small_peak:.0f} at {args.small} workloads, '
          f'{peak:.0f} at {args.workloads}')
    print(f'load_average before={load_before:.1f} '
          f'after={os.getloadavg()[0]:.1f}')
    print(f'BENCH classify workloads={args.workloads} runs={args.runs} '
          f'seconds={statistics.median(walls):.2f} '
          f'seconds_min={min(walls):.2f} seconds_max={max(walls):.2f} '
          f'cpu_seconds={statistics.median(cpus):.2f} '
          f'peak_mb={peak:.0f} peak_mb_small={small_peak:.0f}')


if __name__ == '__main__':
    main()
