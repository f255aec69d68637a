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
"""kcloud-analyzer-train-cost-model: fit the cost prediction model and keep
a new version of it.

::

    kcloud-analyzer-train-cost-model [--config-file ...] \\
        [--workloads workloads.csv --usage usage.csv] [--rates card.yaml] \\
        [--model linear_regression]

Without ``--workloads``/``--usage`` the history kept in the database
(workloads and their usage rollups) of the ``[cost_model]
training_window`` is used, at most ``[cost_model] training_hours``
workload-hours of it (a uniform sample when it holds more). The hourly
costs are computed with the rate card, the plugin is fitted, its
statistics are printed, and the parameters are written as JSON to
``[DEFAULT] models_dir`` as ``cost_model-<plugin>-v<version>.json`` with
a model_versions record.
Exit status 2 means bad input.
"""

import argparse
import json
import sys

from kcloud_analyzer.common import context as context_lib
from kcloud_analyzer.common import offline
from kcloud_analyzer.cost_model import models as cost_models
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import training
from kcloud_analyzer import service


def _argument_parser():
    # oslo.config reserves the name "usage", so the training inputs are
    # parsed here and the rest of the command line goes to oslo.config.
    parser = argparse.ArgumentParser(add_help=False,
                                     usage='%(prog)s [options]')
    group = parser.add_argument_group('training data')
    group.add_argument('--workloads', dest='workloads_csv',
                       help='workloads.csv to train on instead of the '
                            'database (whose last [cost_model] '
                            'training_window is used, at most [cost_model] '
                            'training_hours workload-hours of it).')
    group.add_argument('--usage', dest='usage_csv',
                       help='usage.csv (long form) to train on, with '
                            '--workloads.')
    group.add_argument('--rates', dest='rates_file',
                       help='Rate card to price the history with (default: '
                            '[cost_model] rate_card_file).')
    group.add_argument('--model', dest='model_name',
                       help='Plugin to train (default: [cost_model] type).')
    return parser


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
        costs = seen = None
        if args.workloads_csv:
            workloads = offline.load_workloads(args.workloads_csv)
            usage = offline.load_usage(args.usage_csv)
            source = f'{args.workloads_csv} and {args.usage_csv}'
            if usage.empty:
                raise ValueError(f'no usage history in {source}')
            print(f'Training on {source}: {workloads.shape[0]} workloads, '
                  f'{usage.shape[0]} usage rows', file=sys.stderr)
        else:
            start, end = training.training_window(conf)
            print(f'Pricing the history of the database from '
                  f'{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC',
                  file=sys.stderr)
            workloads, usage, costs, seen = training.cost_history(
                context, card, start=start, end=end,
                limit=conf.cost_model.training_hours)
            if not seen:
                raise ValueError('no usage history in the database from '
                                 f'{start:%Y-%m-%d %H:%M} UTC on')
            print(f'Training on the database: {len(costs)} of {seen} '
                  f'workload-hours, {workloads.shape[0]} workloads',
                  file=sys.stderr)
        record = training.train_cost_model(conf, context, workloads, usage,
                                           card, args.model_name,
                                           costs=costs, seen=seen)
    except (ValueError, ratecard.RateCardError,
            cost_models.UnknownCostModel) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    print(json.dumps({k: record[k] for k in ('name', 'version', 'file',
                                             'metrics', 'data')},
                     indent=2, sort_keys=True, default=str))
    return 0


if __name__ == '__main__':
    sys.exit(main())
