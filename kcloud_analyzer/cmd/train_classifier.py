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
"""kcloud-analyzer-train-classifier: train and evaluate the random-forest
workload classifier.

Builds the training set from the real series of the shared data folder
and the synthetic generator, evaluates with grouped cross-validation,
prints the accuracy per source and per class, then trains on everything
and writes ``workload_classifier-v<N>.skops`` to ``models_dir`` with its
metadata in the database (see :mod:`kcloud_analyzer.workload_analyzer.train`
and :mod:`kcloud_analyzer.jobs.training`).
"""

import json
import sys

import numpy as np
from oslo_config import cfg

from kcloud_analyzer.common import context as k_context
from kcloud_analyzer.common import datasets as data_locator
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import training
from kcloud_analyzer import service
from kcloud_analyzer.workload_analyzer import train

CLI_OPTS = [
    cfg.IntOpt('synthetic-per-class', default=600, min=10,
               help='Synthetic workloads generated per class.'),
    cfg.IntOpt('zeus-runs', default=500, min=1,
               help='Zeus training runs sampled into the training set (of '
                    '1,609); they would otherwise outnumber the rest.'),
    cfg.IntOpt('alibaba-pods', min=1,
               help='Use only this many Alibaba serving pods (default: '
                    'all of them).'),
    cfg.IntOpt('folds', default=5, min=2,
               help='Folds of the grouped cross-validation.'),
    cfg.IntOpt('trees', default=200, min=10,
               help='Trees in the random forest.'),
    cfg.IntOpt('seed', default=0,
               help='Seed of the generator and of the forest, for a '
                    'reproducible model.'),
    cfg.BoolOpt('evaluate-only', default=False,
                help='Print the evaluation without writing a model.'),
]


def main(argv=None):
    conf = service.prepare_command(argv, cli_opts=CLI_OPTS)
    rng = np.random.default_rng(conf.seed)
    try:
        data_dir = data_locator.data_dir()
    except data_locator.DataDirNotFound as exc:
        sys.stderr.write(f'{exc}\n')
        return 2
    training_set = train.build_training_set(
        data_dir, rng, conf.synthetic_per_class,
        max_alibaba_pods=conf.alibaba_pods, max_zeus_runs=conf.zeus_runs,
        rollup_window_s=conf.rollup_window)
    print('Training set (workloads per source and class): '
          + json.dumps(training_set.summary(), sort_keys=True))
    report = train.evaluate(training_set, conf.folds, conf.seed, conf.trees)
    print(train.format_report(report, training_set, conf.folds))
    if conf.evaluate_only:
        return 0
    db_api.configure(conf)
    try:
        path, record = training.store_classifier(
            conf, k_context.get_admin_context(), training_set, report,
            conf.seed, conf.trees)
    except OSError as exc:
        sys.stderr.write(f'Cannot write the model file: {exc}\n')
        return 1
    except Exception as exc:
        # Any store error means the same to the user: the schema is not
        # there or the connection is wrong.
        sys.stderr.write(f'Cannot record the model in the database '
                         f'({exc}); check [database] connection and run '
                         'kcloud-analyzer-dbsync.\n')
        return 1
    print(f'\nWrote {path} (model {record["name"]} version '
          f'{record["version"]}).')
    return 0


if __name__ == '__main__':
    sys.exit(main())
