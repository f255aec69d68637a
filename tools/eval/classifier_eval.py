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
"""Leave-one-source-out evaluation of the workload classifier on real jobs.

Real labelled sources:

* ``migprofiler``: 96 training and 404 batch-inference runs on A100 MIG
  slices (``migprofiler_a100_mig_runs`` in the shared data folder, MIT);
* ``alibaba_genai``: the Stable Diffusion serving pods of this copy of
  the Alibaba GenAI trace (``alibaba_genai_serving_2026_dev``, research
  use), every pod however short;
* nvidia-smi logs of whole runs, one file a run, listed in
  ``nvidia_smi_runs.csv`` beside this script (source, path under ROOT,
  class, GPUs of the run, accelerator, sha1 of the file, log format,
  commit of the repository it comes from):

  - ``training_profile``: GPT training on 8xH100 and 2xTitan X, 100 ms
    (github.com/grantwilkins/training_profile, no licence);
  - ``energy_inference``: batch LLM text generation on 1-4 A100 GPUs,
    100 ms (github.com/grantwilkins/energy-inference, no licence);
  - ``mscdissertation_nlp``: BERT/GPT fine-tuning on 2xGTX 1080 Ti, 1 s:
    GLUE tasks with ``run_glue.py --do_train --do_eval``
    (``train_and_record_power.sh``, ``nvidia/``), QQP fine-tuning cut at
    10-60 minutes (``train_for_different_time.sh``, ``nvidia_july/``),
    masked/causal language-model fine-tuning (``modelsFT/fine_tune.sh``,
    ``modelsFT/nvidia/``) and BERT pre-training (``nvidia_pretrain/``,
    ``nvidia/nvidia_power_pretrain_11mb.csv``) as training; the GLUE
    predictions of ``RunInference.ipynb`` (``nvidia_inference/``) as
    inference (github.com/MScDissertation/NLP, no licence);
  - ``sustainable_dl``: TensorRT-LLM batch generation with Llama-2 7B/13B
    on one V100S, 100 batches of ShareGPT prompts a run at batch sizes
    1-26 (``nvidia-gpu/tensorrt-llm/benchmarking/benchmark_trtllm.py``),
    read from the plain ``nvidia-smi`` table about once a second by
    ``nvsmi_monitor.py`` (format ``nvsmi-dict``); the logs are Git LFS
    objects at the repository's head, so each is taken from the last
    commit that holds it as a plain file (the manifest's ``commit``)
    (github.com/edwinlim0919/sustainable-deep-learning, no licence).

  Runs with fewer than 60 samples are not listed (failed or empty logs),
  nor logs whose readings never advance in time (the tool's A100 and
  weight-quantised runs), nor the ``*_old.out`` copies of a run. None of
  these repositories carries a licence, so nothing of them is shipped:
  extract them where you like and pass that folder as
  ``--nvidia-smi-root``::

      git -C <mirror of grantwilkins/training_profile> archive \
          5f999fe2a73d24423ec561eaf49bc9a50ee88995 h100-traces titanx-traces \
          | tar -x -C ROOT/training_profile
      git -C <mirror of grantwilkins/energy-inference> archive \
          5c2cfa4a9bdbccc6a037ece3d2eb64322db115ea stats plots \
          | tar -x -C ROOT/energy-inference
      git -C <mirror of MScDissertation/NLP> archive \
          3a6d0cfba04010bf2a5b8f2d5e52290a4de73417 nvidia nvidia_july \
          nvidia_inference nvidia_pretrain modelsFT/nvidia \
          | tar -x -C ROOT/MScDissertation-NLP
      grep '^sustainable_dl,' nvidia_smi_runs.csv \
          | while IFS=, read -r _ path _ _ _ _ _ _ commit; do
              mkdir -p "ROOT/$(dirname "$path")"
              git -C <mirror of edwinlim0919/sustainable-deep-learning> \
                  show "$commit:${path#sustainable-deep-learning/}" \
                  > "ROOT/$path"
            done

Every real source is scored by a forest trained without it (the other
real sources plus synthetic workloads, :mod:`.synthetic`); its temperature
is fitted on the held-out predictions of the other sources. Printed: the
table per source and class, macro-F1 over training / inference / serving
(``unknown`` a miss for recall, not an error), the share of jobs given a
wrong class with a confidence of 0.8 or more, and the expected calibration
error. ``--with-lifecycle`` adds the one cloud record these sources have
(finished runs; pods still running at the end of the trace).

Run: ``.venv/bin/python tools/eval/classifier_eval.py
[--nvidia-smi-root ROOT] [--synthetic-per-class 200]``
"""

import argparse
import json
import pathlib
import sys

import numpy as np
import pandas as pd

from kcloud_analyzer.common import datasets as data_locator
from kcloud_analyzer.workload_analyzer import datasets
from kcloud_analyzer.workload_analyzer import evaluation
from kcloud_analyzer.workload_analyzer import synthetic

MANIFEST = pathlib.Path(__file__).with_name('nvidia_smi_runs.csv')


def real_sources(data_dir, nvidia_smi_root=None):
    parts = [evaluation.labelled(*datasets.migprofiler_runs(data_dir),
                                 'migprofiler'),
             evaluation.labelled(*datasets.alibaba_serving(data_dir),
                                 'alibaba_genai')]
    if nvidia_smi_root is not None:
        manifest = pd.read_csv(MANIFEST)
        for source, entries in manifest.groupby('source', sort=True):
            workloads, usage = datasets.nvidia_smi_runs(
                entries, pathlib.Path(nvidia_smi_root))
            if len(workloads):
                parts.append(evaluation.labelled(workloads, usage, source))
    return evaluation.LabelledSet.concat(parts)


def synthetic_set(per_class, seed):
    rng = np.random.default_rng(seed)
    parts = []
    for label in synthetic.CLASSES:
        series, workloads = synthetic.generate(per_class, label, rng,
                                               prefix=f'synthetic-{label}')
        frame = evaluation.features_lib.analyze(series, workloads)[2]
        parts.append(evaluation.LabelledSet(frame, [label] * len(frame),
                                            ['synthetic'] * len(frame)))
    return evaluation.LabelledSet.concat(parts)


EVIDENCE = (('telemetry', False), ('telemetry+lifecycle', True))
SUMMARY = (('macro_f1', 'macro-F1'), ('unknown_share', 'unknown'),
           ('wrong_share', 'wrong'), ('confident_wrong_share', 'wrong>=0.8'),
           ('ece', 'ECE'))


def evaluate(real, seed, per_class, trees):
    """The leave-one-source-out figures of one seed (synthetic set and
    forest), per kind of evidence; also the temperatures."""
    augment = synthetic_set(per_class, seed) if per_class else None
    probabilities, deciding = evaluation.out_of_source(
        real, augment, seed=seed, trees=trees)
    per_source, overall = evaluation.temperatures(real, probabilities)
    figures = {}
    for name, use_records in EVIDENCE:
        answer = evaluation.answers(real, probabilities, deciding,
                                    per_source, use_records=use_records)
        figures[name] = evaluation.report(real, answer)
    return figures, per_source, overall


def format_seeds(by_seed, name):
    """One row per seed of the figures over all real jobs, then the median
    and the range."""
    lines = [f'Over seeds, evidence: {name} (all real jobs)', '',
             '  ' + f'{"seed":<8}' + ''.join(f'{t:>12}' for _, t in SUMMARY)]
    table = np.array([[figures[name]['all'][key] for key, _ in SUMMARY]
                      for figures in by_seed.values()])
    for seed, row in zip(by_seed, table, strict=True):
        lines.append('  ' + f'{seed:<8}' +
                     ''.join(f'{v:>12.3f}' for v in row))
    for label, values in (('median', np.median(table, axis=0)),
                          ('min', table.min(axis=0)),
                          ('max', table.max(axis=0))):
        lines.append('  ' + f'{label:<8}' +
                     ''.join(f'{v:>12.3f}' for v in values))
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--nvidia-smi-root', type=pathlib.Path)
    parser.add_argument('--synthetic-per-class', type=int, default=200)
    parser.add_argument('--trees', type=int, default=200)
    parser.add_argument('--seed', type=int, default=0,
                        help='The seed whose tables are printed in full.')
    parser.add_argument('--seeds', type=int, default=1, metavar='N',
                        help='Also train and score with the N-1 seeds '
                             'after --seed and print each seed\'s figures '
                             'over all real jobs with their median and '
                             'range (the synthetic set and the forests '
                             'depend on the seed).')
    parser.add_argument('--json', type=pathlib.Path,
                        help='Also write the figures to this file.')
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error('--seeds must be at least 1')
    real = real_sources(data_locator.data_dir(), args.nvidia_smi_root)
    print('Real jobs per source and class:')
    print(pd.crosstab(real.sources, real.labels).to_string())
    by_seed = {}
    for seed in range(args.seed, args.seed + args.seeds):
        figures, per_source, overall = evaluate(
            real, seed, args.synthetic_per_class, args.trees)
        by_seed[seed] = figures
        if seed != args.seed:
            print(f'seed {seed} done', file=sys.stderr, flush=True)
            continue
        print('\nTemperature per held-out source (fitted on the others): '
              + ', '.join(f'{s} {t:.2f}' for s, t in per_source.items())
              + f'; on all: {overall:.2f}')
        for name, _ in EVIDENCE:
            print('\n' + evaluation.format_report(
                figures[name], f'Leave-one-source-out, evidence: {name}'))
    if args.seeds > 1:
        for name, _ in EVIDENCE:
            print('\n' + format_seeds(by_seed, name))
    if args.json:
        args.json.write_text(json.dumps(
            by_seed[args.seed] if args.seeds == 1 else
            {str(seed): figures for seed, figures in by_seed.items()},
            indent=1, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
