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
"""Benchmark: profile and classify 10,000 workloads over one day.

Each workload has one day of 30-second samples (2,880) of four metrics
(GPU utilisation, GPU memory, CPU utilisation, accelerator power), made by
the synthetic generator, a third of each class's shape (every workload
kept running for the whole day, so that all rows are full; the predicted
classes are therefore not a measure of accuracy). The timed part is what the
agent and the analyze command do: resource and energy profiles, features
and the random-forest classification, all vectorised over the workloads
(2-D ``workloads x samples`` arrays, blocks of 1,250 rows on two
threads). Data generation and the training of the forest are not timed.

The last line is::

    BENCH classify workloads=10000 seconds=<s> peak_mb=<mb>

where ``peak_mb`` is the peak resident memory of the whole process
(telemetry included). Targets: 2 s and 1 GB.
"""

import argparse
import os
import resource
import time

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics
from kcloud_analyzer.workload_analyzer.classifiers import random_forest
from kcloud_analyzer.workload_analyzer import features
from kcloud_analyzer.workload_analyzer import series as series_lib
from kcloud_analyzer.workload_analyzer import synthetic

DAY_S = 86400.0
STEP_S = 30.0
BENCH_METRICS = (metrics.GPU_UTILIZATION, metrics.GPU_MEMORY_UTILIZATION,
                 metrics.CPU_UTILIZATION, metrics.ACCELERATOR_POWER_WATTS)
GENERATION_BATCH = 125


def make_telemetry(count, rng, start_s):
    """One day of the four metrics for ``count`` workloads, float32."""
    width = int(DAY_S / STEP_S)
    values = {metric: np.empty((count, width), dtype=np.float32)
              for metric in BENCH_METRICS}
    ids = np.empty(count, dtype=object)
    classes = np.resize(np.asarray(synthetic.CLASSES), count)
    for offset in range(0, count, GENERATION_BATCH):
        rows = slice(offset, min(offset + GENERATION_BATCH, count))
        # Batches of one class, rotating over the classes.
        workload_class = classes[offset]
        series, workloads = synthetic.generate(
            rows.stop - rows.start, workload_class, rng, step_s=STEP_S,
            window_s=DAY_S, start_s=start_s, prefix=f'w{offset}',
            dtype=np.float32, drop_metrics=False, whole_window=True,
            npu_share=0.0)
        for metric in BENCH_METRICS:
            values[metric][rows] = series.block(metric).values
        ids[rows] = series.workload_ids
        classes[rows] = workload_class
    times = start_s + np.arange(width) * STEP_S
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--workloads', type=int, default=10000)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    bundle = train_forest(rng)
    forest = bundle['estimator']
    series, workloads = make_telemetry(args.workloads, rng, start_s=1.7e9)
    print(f'telemetry: {args.workloads} workloads x '
          f'{int(DAY_S / STEP_S)} samples x {len(BENCH_METRICS)} metrics')

    cpu_started = time.process_time()
    started = time.perf_counter()
    resources, energies, feature_frame = features.analyze_in_chunks(
        series, workloads)
    predicted = forest.predict(
        feature_frame[bundle['feature_names']].to_numpy(dtype=float))
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f'profiles: {resources.shape[1]} columns, energy: '
          f'{energies.shape[1]} columns, features: {feature_frame.shape[1]}, '
          f'classified: {len(predicted)}')
    # CPU time of all threads: on a busy shared machine the wall time
    # depends on the other jobs, this much less.
    print(f'cpu_seconds={cpu_seconds:.2f} '
          f'load_average={os.getloadavg()[0]:.1f}')
    print(f'BENCH classify workloads={args.workloads} seconds={seconds:.2f} '
          f'peak_mb={peak_mb:.0f}')


if __name__ == '__main__':
    main()
