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
"""The rate card: the prices every cost is computed from.

A rate card is a versioned YAML or JSON document (see
``kcloud_analyzer/data/rate_card.yaml`` for the documented example and
``rate_card.schema.json`` for its JSON Schema). It is validated when it is
loaded; a bad card is refused with the path of the offending field.

Money conventions, stated once for the whole cost model:

* prices enter as :class:`decimal.Decimal` (read from the text of the card,
  never through a binary float);
* arithmetic inside the cost model runs on float64 arrays;
* money leaves the cost model through :func:`to_money`, which rounds half
  to even to :data:`MONEY_QUANTUM` (six decimal places of the currency
  unit), once, after all sums are taken.
"""

import dataclasses
import decimal
import importlib.resources
import json
import zoneinfo

import jsonschema
import numpy as np
import pandas as pd
import yaml

from kcloud_analyzer.common import utils

MONEY_QUANTUM = decimal.Decimal('0.000001')
MONEY_ROUNDING = decimal.ROUND_HALF_EVEN

#: Hours in a billing month (365 * 24 / 12), used for monthly prices and
#: monthly savings.
HOURS_PER_MONTH = 730.0

#: Bytes in a gigabyte for network prices (decimal gigabytes).
BYTES_PER_GB = 1e9

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
_DAY_NAMES = ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')


class RateCardError(ValueError):
    """A rate card that cannot be used; ``path`` names the bad field."""

    def __init__(self, path, reason):
        self.path = path
        self.reason = reason
        super().__init__(f'rate card field {path or "(document)"}: {reason}')


def to_money(value):
    """Convert a float amount to a Decimal rounded by the house rule."""
    return decimal.Decimal(repr(float(value))).quantize(
        MONEY_QUANTUM, rounding=MONEY_ROUNDING)


def _decimal(value):
    return decimal.Decimal(str(value))


@dataclasses.dataclass(frozen=True)
class Partition:
    name: str
    fraction: float
    hour: decimal.Decimal


@dataclasses.dataclass(frozen=True)
class Accelerator:
    model: str
    kind: str
    hour: decimal.Decimal
    committed_hour: decimal.Decimal | None = None
    performance: float | None = None
    power_watts: float | None = None
    training: bool = True
    partitions: tuple = ()


@dataclasses.dataclass(frozen=True)
class Flavor:
    """A Nova flavor a workload can be resized to.

    ``hour`` is the flavor's own price when the card lists one; otherwise
    the flavor is priced from the card's unit prices (see
    :meth:`RateCard.flavor_hour`).
    """

    name: str
    vcpus: int
    ram_mb: int
    accelerator: str | None = None
    accelerator_count: int = 0
    hour: decimal.Decimal | None = None

    @property
    def ram_gb(self):
        return self.ram_mb / 1024.0


@dataclasses.dataclass(frozen=True)
class Period:
    name: str
    start_minute: int
    end_minute: int
    days: tuple
    kwh: decimal.Decimal


@dataclasses.dataclass(frozen=True)
class Override:
    """Prices that replace the base ones for one project in [start, end)."""

    project_id: str
    start: pd.Timestamp
    end: pd.Timestamp | None
    vcpu_hour: decimal.Decimal | None = None
    ram_gb_hour: decimal.Decimal | None = None
    storage_gb_month: decimal.Decimal | None = None
    network_egress_gb: decimal.Decimal | None = None
    accelerator_hour: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class RateCard:
    version: int
    currency: str
    vcpu_hour: decimal.Decimal
    ram_gb_hour: decimal.Decimal
    committed_vcpu_hour: decimal.Decimal | None
    committed_ram_gb_hour: decimal.Decimal | None
    accelerators: dict
    storage_gb_month: decimal.Decimal
    network_egress_gb: decimal.Decimal
    timezone: str
    default_kwh: decimal.Decimal
    pue: float
    carbon_kg_per_kwh: float
    periods: tuple
    overrides: tuple
    document: dict
    default_accelerators: dict = dataclasses.field(default_factory=dict)
    flavors: tuple = ()

    def accelerator(self, model):
        """Return the :class:`Accelerator` for a model name, or None.

        Names match case-insensitively, as flavors and exporters spell them
        differently.
        """
        if model is None:
            return None
        return self._by_lower_name().get(str(model).lower())

    def default_accelerator(self, kind):
        """The model that an accelerator count of ``kind`` (``gpu`` or
        ``npu``) without a model is priced at, or None when the card has
        no model of that kind."""
        return self.default_accelerators.get(kind)

    def _by_lower_name(self):
        return {name.lower(): acc for name, acc in self.accelerators.items()}

    def minute_of_week_kwh(self):
        """Electricity price of every minute of the week (Monday 00:00 first).

        :returns: float array of length :data:`MINUTES_PER_WEEK`, in the
            card's time zone.
        """
        prices = np.full(MINUTES_PER_WEEK, float(self.default_kwh))
        minute_of_day = np.arange(MINUTES_PER_WEEK) % MINUTES_PER_DAY
        day = np.arange(MINUTES_PER_WEEK) // MINUTES_PER_DAY
        # Paint the last period first so that the first one listed wins.
        for period in reversed(self.periods):
            if period.start_minute <= period.end_minute:
                in_time = ((minute_of_day >= period.start_minute) &
                           (minute_of_day < period.end_minute))
                starts_on = day
            else:
                after_start = minute_of_day >= period.start_minute
                in_time = after_start | (minute_of_day < period.end_minute)
                # The part after midnight belongs to the day it started on.
                starts_on = np.where(after_start, day, (day - 1) % 7)
            on_day = np.isin(starts_on, [_DAY_NAMES.index(d)
                                         for d in period.days])
            prices[in_time & on_day] = float(period.kwh)
        return prices

    def flavor_hour(self, flavor):
        """Price per hour of a :class:`Flavor`: its own, or vCPUs x
        ``vcpu_hour`` + GB of RAM x ``ram_gb_hour`` + its accelerators at
        the card's price (an unknown accelerator model cannot be priced:
        None)."""
        if flavor.hour is not None:
            return float(flavor.hour)
        price = (flavor.vcpus * float(self.vcpu_hour) +
                 flavor.ram_gb * float(self.ram_gb_hour))
        if flavor.accelerator_count:
            model = self.accelerator(flavor.accelerator)
            if model is None:
                return None
            price += flavor.accelerator_count * float(model.hour)
        return price

    def cheapest_kwh(self):
        return float(self.minute_of_week_kwh().min())

    def to_dict(self):
        """The card as validated, for display (e.g. ``GET /v1/rates``)."""
        return json.loads(json.dumps(self.document))


def _load_schema():
    text = _data_file('rate_card.schema.json').read_text(encoding='utf-8')
    return json.loads(text)


def _field_path(error):
    return '.'.join(str(p) for p in error.absolute_path)


def _clock_minutes(text):
    hours, minutes = text.split(':')
    return int(hours) * 60 + int(minutes)


def _timestamp(text, path):
    try:
        stamp = pd.Timestamp(text)
    except ValueError as exc:
        raise RateCardError(path, f'not a date/time: {exc}')
    if stamp.tzinfo is None:
        return stamp.tz_localize('UTC')
    return stamp.tz_convert('UTC')


def _optional(mapping, key):
    return _decimal(mapping[key]) if key in mapping else None


def parse_rate_card(document):
    """Validate a rate card document (a mapping) and build a RateCard.

    :raises RateCardError: naming the path of the first bad field.
    """
    document = utils.json_ready(document)
    validator = jsonschema.Draft202012Validator(_load_schema())
    errors = sorted(validator.iter_errors(document),
                    key=lambda e: (list(map(str, e.absolute_path)),
                                   e.message))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        raise RateCardError(_field_path(error), error.message)

    accelerators = {}
    for name, spec in document['accelerators'].items():
        accelerators[name] = Accelerator(
            model=name, kind=spec['kind'], hour=_decimal(spec['hour']),
            committed_hour=_optional(spec, 'committed_hour'),
            performance=spec.get('performance'),
            power_watts=spec.get('power_watts'),
            training=spec.get('training', True),
            partitions=tuple(
                Partition(p['name'], float(p['fraction']),
                          _decimal(p['hour']))
                for p in spec.get('partitions', ())))
    lower_names = [n.lower() for n in accelerators]
    if len(set(lower_names)) != len(lower_names):
        raise RateCardError('accelerators',
                            'two models differ only in letter case')

    electricity = document['electricity']
    timezone = electricity.get('timezone', 'UTC')
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise RateCardError('electricity.timezone',
                            f'unknown time zone {timezone!r}')
    periods = []
    for index, spec in enumerate(electricity.get('periods', ())):
        start = _clock_minutes(spec['start'])
        end = _clock_minutes(spec['end'])
        if start == end:
            raise RateCardError(f'electricity.periods.{index}.end',
                                'a period cannot start and end at the same '
                                'time')
        periods.append(Period(spec['name'], start, end,
                              tuple(spec.get('days', _DAY_NAMES)),
                              _decimal(spec['kwh'])))

    known = {n.lower() for n in accelerators}
    overrides = []
    for index, spec in enumerate(document.get('overrides', ())):
        path = f'overrides.{index}'
        start = _timestamp(spec['start'], f'{path}.start')
        end = (_timestamp(spec['end'], f'{path}.end')
               if 'end' in spec else None)
        if end is not None and end <= start:
            raise RateCardError(f'{path}.end', 'end must be after start')
        acc_hours = {}
        for name, acc in spec.get('accelerators', {}).items():
            if name.lower() not in known:
                raise RateCardError(f'{path}.accelerators.{name}',
                                    'not a model of the base card')
            acc_hours[name.lower()] = _decimal(acc['hour'])
        compute = spec.get('compute', {})
        overrides.append(Override(
            project_id=spec['project_id'], start=start, end=end,
            vcpu_hour=_optional(compute, 'vcpu_hour'),
            ram_gb_hour=_optional(compute, 'ram_gb_hour'),
            storage_gb_month=_optional(spec.get('storage', {}), 'gb_month'),
            network_egress_gb=_optional(spec.get('network', {}),
                                        'egress_gb'),
            accelerator_hour=acc_hours))

    by_lower = {name.lower(): name for name in accelerators}
    defaults = {}
    for kind in ('gpu', 'npu'):
        named = document.get('default_accelerators', {}).get(kind)
        if named is None:
            named = next((name for name, acc in accelerators.items()
                          if acc.kind == kind), None)
            if named is None:
                continue
        name = by_lower.get(named.lower())
        if name is None or accelerators[name].kind != kind:
            raise RateCardError(f'default_accelerators.{kind}',
                                f'{named!r} is not a {kind} model of the '
                                'card')
        defaults[kind] = name

    flavors = []
    for index, spec in enumerate(document.get('flavors', ())):
        count = spec.get('accelerator_count', 0)
        if count and 'accelerator' not in spec:
            raise RateCardError(f'flavors.{index}.accelerator',
                                'a flavor with accelerators names their '
                                'model')
        flavors.append(Flavor(
            name=spec['name'], vcpus=spec['vcpus'], ram_mb=spec['ram_mb'],
            accelerator=spec.get('accelerator'), accelerator_count=count,
            hour=_optional(spec, 'hour')))
    names = [f.name for f in flavors]
    if len(set(names)) != len(names):
        raise RateCardError('flavors', 'two flavors have the same name')

    compute = document['compute']
    return RateCard(
        version=document['version'],
        currency=document['currency'],
        vcpu_hour=_decimal(compute['vcpu_hour']),
        ram_gb_hour=_decimal(compute['ram_gb_hour']),
        committed_vcpu_hour=_optional(compute, 'committed_vcpu_hour'),
        committed_ram_gb_hour=_optional(compute, 'committed_ram_gb_hour'),
        accelerators=accelerators,
        storage_gb_month=_decimal(document['storage']['gb_month']),
        network_egress_gb=_decimal(document['network']['egress_gb']),
        timezone=timezone,
        default_kwh=_decimal(electricity['default_kwh']),
        pue=float(electricity['pue']),
        carbon_kg_per_kwh=float(electricity['carbon_kg_per_kwh']),
        periods=tuple(periods),
        overrides=tuple(overrides),
        document=document,
        default_accelerators=defaults,
        flavors=tuple(flavors))


def _data_file(name):
    return importlib.resources.files('kcloud_analyzer').joinpath('data', name)


def default_rate_card_path():
    return _data_file('rate_card.yaml')


def load_rate_card(path=None):
    """Read, validate and return the rate card at ``path``.

    :param path: a YAML or JSON file; None means the packaged example.
    :raises RateCardError: when the file is unreadable or invalid.
    """
    source = default_rate_card_path() if path is None else path
    try:
        with open(source, encoding='utf-8') as stream:
            document = yaml.safe_load(stream)
    except OSError as exc:
        raise RateCardError('', f'cannot read {source}: {exc.strerror}')
    except yaml.YAMLError as exc:
        raise RateCardError('', f'{source} is not YAML or JSON: {exc}')
    if not isinstance(document, dict):
        raise RateCardError('', f'{source} does not hold a mapping')
    return parse_rate_card(document)
