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
"""Fit the cost prediction model and keep a new version of it.

::

    kcloud-analyzer-train-cost-model [--config-file ...] \\
        [--workloads workloads.csv --usage usage.csv] [--rates card.yaml] \\
        [--model linear_regression]

Without ``--workloads``/``--usage`` the history kept in the database
(workloads and their usage rollups) is used. The hourly costs are computed
with the rate card, the plugin is fitted, its statistics are printed, and
the parameters are written as JSON to ``[DEFAULT] models_dir`` as
``cost_model-<plugin>-v<version>.json`` with a model_versions record.
Exit status 2 means bad input.
"""

import argparse
import datetime
import json
import os
import sys

from oslo_log import log
import pandas as pd

from kcloud_analyzer.common import context as context_lib
from kcloud_analyzer.common import offline
from kcloud_analyzer.cost_model import models
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.cost_model import realtime
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer import service

LOG = log.getLogger(__name__)



def _argument_parser():
    # oslo.config reserves the name "usage", so the training inputs are
    # parsed here and the rest of the command line goes to oslo.config.
    parser = argparse.ArgumentParser(add_help=False,
                                     usage='%(prog)s [options]')
    group = parser.add_argument_group('training data')
    group.add_argument('--workloads', dest='workloads_csv',
                       help='workloads.csv to train on instead of the '
                            'database.')
    group.add_argument('--usage', dest='usage_csv',
                       help='usage.csv (long form) to train on, with '
                            '--workloads.')
    group.add_argument('--rates', dest='rates_file',
                       help='Rate card to price the history with (default: '
                            '[cost_model] rate_card_file).')
    group.add_argument('--model', dest='model_name',
                       help='Plugin to train (default: [cost_model] type).')
    return parser


def frames_from_store(context, start=None):
    """Workloads and usage frames, in the offline shapes, from the store.

    :param start: naive UTC datetime; only rollups of windows from it on.
    """
    rows = []
    for workload in db_api.workload_list(context):
        resources = workload.get('resources') or {}
        rows.append({
            'workload_id': workload['workload_id'],
            'type': (workload.get('declared_type') or
                     workload.get('classified_type')),
            'cpu_cores': float(resources.get('cpu_cores') or 0),
            'memory_gb': float(resources.get('memory_gb') or 0),
            'gpu_count': int(resources.get('gpu_count') or 0),
            'npu_count': int(resources.get('npu_count') or 0),
            'accelerator': (workload.get('accelerator') or
                            resources.get('accelerator')),
            'project_id': workload['project_id'],
            # a declared type is known for sure
            'type_confidence': (1.0 if workload.get('declared_type') else
                                workload.get('confidence')),
        })
    workloads = pd.DataFrame(
        rows, columns=offline.WORKLOAD_COLUMNS + ('type_confidence',))
    rollups = pd.DataFrame(db_api.rollup_list(context, start=start),
                           columns=['workload_id', 'window_start', 'metric',
                                    'mean'])
    usage = pd.DataFrame({
        'workload_id': rollups['workload_id'],
        'timestamp': pd.to_datetime(rollups['window_start'], utc=True),
        'metric': rollups['metric'],
        'value': rollups['mean'].astype(float),
    })
    return workloads, usage


def train(conf, context, workloads, usage, card, plugin_name=None):
    """Fit, save and record one new version; return its record."""
    model = models.get_cost_model(conf, plugin_name, card=card)
    if not model.trainable:
        raise ValueError(f'the {model.name} cost model needs no training')
    costs = realtime.compute_costs(workloads, usage, card)
    statistics = model.fit(workloads, usage, costs)
    name = models.RECORD_NAME
    version = db_api.model_version_next(context, name)
    model.version = version
    path = os.path.join(conf.models_dir,
                        f'cost_model-{model.name}-v{version}.json')
    model.save(path)
    return db_api.model_version_create(context, {
        'name': name,
        'version': version,
        'trained_at': datetime.datetime.now(datetime.timezone.utc).replace(
            tzinfo=None),
        'metrics': statistics,
        'file': path,
        'data': {
            'plugin': model.name,
            'workloads': int(workloads['workload_id'].nunique()),
            'workload_hours': int(len(costs)),
            'first_hour': costs['hour'].min().isoformat(),
            'last_hour': costs['hour'].max().isoformat(),
            'rate_card_version': card.version,
            'currency': card.currency,
        },
    })


def main(argv=None):
    parser = _argument_parser()
    args, rest = parser.parse_known_args(
        sys.argv[1:] if argv is None else argv)
    if '-h' in rest or '--help' in rest:
        parser.print_help()
    conf = service.prepare_command(rest)
    db_api.configure(conf)
    context = context_lib.get_admin_context()
    try:
        card = ratecard.load_rate_card(args.rates_file or
                                       conf.cost_model.rate_card_file)
        if bool(args.workloads_csv) != bool(args.usage_csv):
            raise ValueError('--workloads and --usage go together')
        if args.workloads_csv:
            workloads = offline.load_workloads(args.workloads_csv)
            usage = offline.load_usage(args.usage_csv)
            source = f'{args.workloads_csv} and {args.usage_csv}'
        else:
            workloads, usage = frames_from_store(context)
            source = 'the database'
        if usage.empty:
            raise ValueError(f'no usage history in {source}')
        print(f'Training on {source}: {workloads.shape[0]} workloads, '
              f'{usage.shape[0]} usage rows', file=sys.stderr)
        record = train(conf, context, workloads, usage, card,
                       args.model_name)
    except (ValueError, ratecard.RateCardError,
            models.UnknownCostModel) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    print(json.dumps({k: record[k] for k in ('name', 'version', 'file',
                                             'metrics', 'data')},
                     indent=2, sort_keys=True, default=str))
    return 0


if __name__ == '__main__':
    sys.exit(main())
