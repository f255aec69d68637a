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
"""``kcloud-analyzer-manage cost`` and ``forecast``: offline cost commands.

::

    kcloud-analyzer-manage cost --workloads workloads.csv \\
        --usage usage.csv [--rates card.yaml] [--start T] [--end T] \\
        [--format table|json]
    kcloud-analyzer-manage forecast --usage usage.csv --metric M \\
        --horizon 48h [--format table|json]
    kcloud-analyzer-manage cost reprocess --start T --end T \\
        [--project P]

``cost`` prices every workload-hour of the files with the rate card and
prints the totals per workload and per project (breakdown, idle cost,
energy and carbon) over the hours in ``[--start, --end)`` (all by
default) and the priced recommendations, which read the whole file.
``cost reprocess`` prices again, from the stored rollups and with the
current rate card, every hour of ``[--start, --end)`` of one project or
all, replacing their cost records (running it twice changes nothing more),
and prints the totals of the window before and after. ``forecast``
forecasts each workload's hourly series of one metric from
everything in the file, with an 80 % interval per hour. Bad input is
refused with the reason on stderr and exit status 2.
"""

import json
import re
import sys

from kcloud_analyzer.common import lazy
from kcloud_analyzer.common import metrics

# Loaded when a command runs, not for --help.
(pd, tqdm, context, offline, forecast, ratecard, realtime, recommendations,
 db_api, cost_jobs) = lazy.load_all(
    'pandas', 'tqdm', 'kcloud_analyzer.common.context',
    'kcloud_analyzer.common.offline', 'kcloud_analyzer.cost_model.forecast',
    'kcloud_analyzer.cost_model.ratecard',
    'kcloud_analyzer.cost_model.realtime',
    'kcloud_analyzer.cost_model.recommendations', 'kcloud_analyzer.db.api',
    'kcloud_analyzer.jobs.costs')

_HORIZON = re.compile(r'^\s*(\d+)\s*([hd]?)\s*$')
#: a forecast horizon longer than this is refused (two weeks)
MAX_HORIZON_HOURS = 14 * 24


def add_parser(subparsers):
    cost = subparsers.add_parser(
        'cost',
        help='Price offline workloads.csv and usage.csv with the rate '
             'card: totals per workload and project with the breakdown, '
             'and recommendations with their monthly saving. "cost '
             'reprocess --start T --end T [--project P]" prices the '
             'stored usage of a past window again instead (after a rate '
             'card change or late data) and prints the totals before and '
             'after.')
    cost.add_argument('action', nargs='?', choices=('reprocess',),
                      help='reprocess: recompute the stored cost records '
                           'of [--start, --end) from the stored usage.')
    cost.add_argument('--workloads',
                      help='workloads.csv: workload_id,type,cpu_cores,'
                           'memory_gb,gpu_count,npu_count,accelerator,'
                           'project_id (.csv.gz accepted).')
    cost.add_argument('--usage',
                      help='usage.csv in long form: workload_id,timestamp,'
                           'metric,value (.csv.gz accepted).')
    cost.add_argument('--project', default=None,
                      help='reprocess: only this project (default: all).')
    cost.add_argument('--rates', default=None,
                      help='Rate card (YAML or JSON) instead of '
                           '[cost_model] rate_card_file.')
    cost.add_argument('--start', default=None,
                      help='Count hours from this time on (ISO 8601, UTC '
                           'unless an offset is given).')
    cost.add_argument('--end', default=None,
                      help='Count hours before this time (ISO 8601).')
    cost.add_argument('--format', choices=('table', 'json'),
                      default='table', help='Output format.')
    cost.set_defaults(action_fn=cost_command)

    fc = subparsers.add_parser(
        'forecast',
        help='Forecast the hourly series of one usage metric of every '
             'workload in usage.csv, with an 80 %% interval per hour.')
    fc.add_argument('--usage', required=True,
                    help='usage.csv in long form (.csv.gz accepted).')
    fc.add_argument('--metric', required=True,
                    choices=metrics.CANONICAL_METRICS,
                    help='Metric whose series are forecast.')
    fc.add_argument('--horizon', default='48h',
                    help='How far ahead: hours ("48h" or "48") or days '
                         '("2d"); at most %d hours.' % MAX_HORIZON_HOURS)
    fc.add_argument('--format', choices=('table', 'json'),
                    default='table', help='Output format.')
    fc.set_defaults(action_fn=forecast_command)


def parse_horizon(text):
    """Hours in a horizon such as ``48h``, ``48`` or ``2d``."""
    match = _HORIZON.match(text or '')
    if not match:
        raise ValueError(f'bad horizon {text!r}: expected hours such as '
                         '48h or days such as 2d')
    hours = int(match.group(1)) * (24 if match.group(2) == 'd' else 1)
    if not 1 <= hours <= MAX_HORIZON_HOURS:
        raise ValueError(f'horizon {text!r} must be between 1 hour and '
                         f'{MAX_HORIZON_HOURS} hours')
    return hours


def parse_time(text):
    """A UTC timestamp from ISO 8601 text, or None for None."""
    if text is None:
        return None
    try:
        stamp = pd.Timestamp(text)
    except pd.errors.OutOfBoundsDatetime:
        raise ValueError(f'time {text!r} is out of the supported range '
                         f'{pd.Timestamp.min.ceil("D").date()} to '
                         f'{pd.Timestamp.max.floor("D").date()}')
    except ValueError:
        raise ValueError(f'bad time {text!r}: expected ISO 8601 such as '
                         '2026-03-01T00:00:00Z')
    return (stamp.tz_localize('UTC') if stamp.tzinfo is None
            else stamp.tz_convert('UTC'))


def _fail(message):
    sys.stderr.write(f'error: {message}\n')
    return 2


def _json_default(value):
    # Money stays exact in JSON: Decimal is written as a string.
    return str(value)


def _money(value):
    return f'{value:,.2f}'


def format_totals(title, key, totals, currency):
    # Ids are never cut: two jobs that share a long prefix must not look
    # the same.
    width = max([len(key)] + [len(str(r[key])) for r in totals])
    header = (f'{key:<{width}} {"hours":>6} {"compute":>10} {"gpu":>10} '
              f'{"npu":>10} {"storage":>9} {"network":>9} {"energy":>9} '
              f'{"total":>11} {"idle":>10} {"kWh":>10} {"est. kWh":>10} '
              f'{"kgCO2e":>8}')
    lines = [f'{title} ({currency}, allocation basis; idle = allocation '
             '- usage basis; est. kWh = the part of kWh estimated, not '
             'measured)', header, '-' * len(header)]
    for record in totals:
        lines.append(
            f'{str(record[key]):<{width}} {record["hours"]:>6} ' +
            ' '.join(f'{_money(record["breakdown"][line]):>{width}}'
                     for line, width in (('compute', 10), ('gpu', 10),
                                         ('npu', 10), ('storage', 9),
                                         ('network', 9), ('energy', 9))) +
            f' {_money(record["cost"]):>11} '
            f'{_money(record["idle_cost"]):>10} '
            f'{record["energy_kwh"]:>10.4f} '
            f'{record["estimated_kwh"]:>10.4f} '
            f'{record["carbon_kg_co2e"]:>8.2f}')
    return '\n'.join(lines)


def _kwh(value):
    """`` and N kWh`` of a promised energy saving; nothing when not known
    or zero."""
    if not value:
        return ''
    return f' and {value:.1f} kWh'


def format_recommendations(found, currency):
    if not found:
        return 'Recommendations: none'
    lines = [f'Recommendations (monthly saving in {currency}, largest '
             'expected saving = saving x confidence first)']
    for item in found:
        evidence = ', '.join(f'{k}={v:g}' if isinstance(v, float)
                             else f'{k}={v}'
                             for k, v in item['evidence'].items())
        lines.append(f'- {item["workload_id"]}: {item["kind"]}: '
                     f'{item["action"]}; saves '
                     f'{_money(item["monthly_saving"])}/month'
                     f'{_kwh(item.get("monthly_kwh"))} '
                     f'(confidence {item["confidence"]:.2f}, expected '
                     f'{_money(item["expected_monthly_saving"])})')
        lines.append(f'    evidence: {evidence}')
    return '\n'.join(lines)


def _window(args):
    start, end = parse_time(args.start), parse_time(args.end)
    if start is not None and end is not None and start > end:
        raise ValueError(f'--start {start.isoformat()} is after --end '
                         f'{end.isoformat()}')
    return start, end


def _totals_line(label, totals, currency):
    return (f'{label:<7} {_money(totals["total"]):>14} {currency or ""}  '
            f'{totals["energy_kwh"]:.4f} kWh  {totals["hours"]} records')


def reprocess_command(conf):
    args = conf.category
    try:
        start, end = _window(args)
        if start is None or end is None:
            raise ValueError('cost reprocess needs --start and --end')
    except ValueError as exc:
        return _fail(exc)
    db_api.configure(conf)
    try:
        result = cost_jobs.reprocess_costs(
            conf, context.get_admin_context(),
            start.tz_localize(None).to_pydatetime(),
            end.tz_localize(None).to_pydatetime(), project_id=args.project)
    except (ratecard.RateCardError, realtime.CostInputError) as exc:
        return _fail(exc)
    print(f'Reprocessed {start.isoformat()} to {end.isoformat()} '
          f'({args.project or "all projects"}): '
          f'{result["records_written"]} cost records written')
    print(_totals_line('before', result['before'], result['currency']))
    print(_totals_line('after', result['after'], result['currency']))
    return 0


def cost_command(conf):
    args = conf.category
    if args.action == 'reprocess':
        return reprocess_command(conf)
    if not args.workloads or not args.usage:
        return _fail('cost needs --workloads and --usage (or the '
                     'reprocess action)')
    try:
        start, end = _window(args)
        card = ratecard.load_rate_card(args.rates or
                                       conf.cost_model.rate_card_file)
        workloads = offline.load_workloads(args.workloads)
        usage = offline.load_usage(args.usage)
        print(f'Pricing {len(usage)} usage rows of '
              f'{usage["workload_id"].nunique()} workloads', file=sys.stderr)
        costs = realtime.compute_costs(workloads, usage, card)
    except (ValueError, offline.InputError, ratecard.RateCardError,
            realtime.CostInputError) as exc:
        return _fail(exc)
    if costs.empty:
        return _fail(f'{args.usage} has no usage rows to price')
    per_workload = realtime.totals_to_records(
        realtime.totals(costs, 'workload_id', start, end))
    per_project = realtime.totals_to_records(
        realtime.totals(costs, 'project_id', start, end))
    found = recommendations.recommend(workloads, usage, costs, card)
    if args.format == 'json':
        print(json.dumps({
            'currency': card.currency,
            'rate_card_version': card.version,
            'rounding': f'half-even to {ratecard.MONEY_QUANTUM}',
            'window': {'start': start and start.isoformat(),
                       'end': end and end.isoformat()},
            'workloads': per_workload,
            'projects': per_project,
            'recommendations': found,
        }, indent=2, default=_json_default))
        return 0
    print(format_totals('Cost per workload', 'workload_id', per_workload,
                        card.currency))
    print()
    print(format_totals('Cost per project', 'project_id', per_project,
                        card.currency))
    print()
    print(format_recommendations(found, card.currency))
    return 0


def forecast_command(conf):
    args = conf.category
    try:
        horizon = parse_horizon(args.horizon)
        usage = offline.load_usage(args.usage)
    except (ValueError, offline.InputError) as exc:
        return _fail(exc)
    chosen = usage[usage['metric'] == args.metric]
    if chosen.empty:
        return _fail(f'{args.usage} has no rows of metric {args.metric}')
    workloads = chosen['workload_id'].nunique()
    with tqdm.tqdm(total=workloads, unit='series', file=sys.stderr,
                   desc='Forecasting', disable=workloads < 2) as bar:
        table = forecast.forecast_usage(
            chosen, args.metric, horizon,
            progress=lambda done, total, name: bar.update(1))
    if args.format == 'json':
        series = []
        for workload_id, rows in table.groupby('workload_id', sort=True):
            series.append({
                'workload_id': workload_id,
                'metric': args.metric,
                'unit': metrics.UNITS[args.metric],
                'method': rows['method'].iloc[0],
                'interval_level': forecast.DEFAULT_COVERAGE,
                'hours': [{'hour': r.hour.isoformat(),
                           'forecast': float(r.forecast),
                           'lower': float(r.lower),
                           'upper': float(r.upper)}
                          for r in rows.itertuples()],
            })
        print(json.dumps({'horizon_hours': horizon, 'series': series},
                         indent=2))
        return 0
    unit = metrics.UNITS[args.metric]
    width = max([11] + [len(str(w)) for w in table['workload_id'].unique()])
    print(f'{"workload_id":<{width}} {"hour (UTC)":<20} {"forecast":>12} '
          f'{"80% low":>12} {"80% high":>12}  method   [{args.metric}, '
          f'{unit}]')
    for r in table.itertuples():
        print(f'{str(r.workload_id):<{width}} '
              f'{r.hour.strftime("%Y-%m-%dT%H:%M"):<20} '
              f'{r.forecast:>12.3f} {r.lower:>12.3f} {r.upper:>12.3f}  '
              f'{r.method}')
    return 0
