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
"""What the ``openstack analyzer`` commands share: display of money,
shares and figures, the project option, the time window options."""

import json

from cliff import columns
from openstackclient.identity import common as identity_common
from osc_lib import exceptions

COST_LINES = ('compute', 'gpu', 'npu', 'storage', 'network', 'energy')
WORKLOAD_TYPES = ('training', 'inference', 'serving', 'unknown')

# The store keeps money to six decimals: machine formats (json, yaml,
# value, csv) get that precision without the float noise.
_STORED_DECIMALS = 6


def _rounded(value, decimals=_STORED_DECIMALS):
    if isinstance(value, float):
        return round(value, decimals)
    return value


class MoneyColumn(columns.FormattableColumn):
    """An amount of money: cents in tables, the stored precision in
    machine formats."""

    def human_readable(self):
        if self._value is None:
            return ''
        return '%.2f' % self._value

    def machine_readable(self):
        return _rounded(self._value)


class RateColumn(MoneyColumn):
    """A price per hour, small enough that cents hide it: four
    decimals."""

    def human_readable(self):
        if self._value is None:
            return ''
        return '%.4f' % self._value


class ShareColumn(columns.FormattableColumn):
    """A share between 0 and 1 (a confidence) as a whole percentage."""

    def human_readable(self):
        if self._value is None:
            return ''
        return '%.0f%%' % (100.0 * self._value)

    def machine_readable(self):
        return _rounded(self._value, 4)


class FigureColumn(columns.FormattableColumn):
    """A measured figure (percent, watts, bytes/s) to two decimals."""

    def human_readable(self):
        if self._value is None:
            return ''
        if isinstance(self._value, float):
            return '%.2f' % self._value
        return str(self._value)

    def machine_readable(self):
        return _rounded(self._value)


def _round_tree(value, decimals):
    if isinstance(value, dict):
        return {k: _round_tree(v, decimals) for k, v in value.items()}
    if isinstance(value, list):
        return [_round_tree(v, decimals) for v in value]
    return _rounded(value, decimals)


def _flat(value, prefix=''):
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _flat(value[key], '%s%s.' % (prefix, key))
    else:
        yield prefix[:-1], value


class RoundedDictColumn(columns.FormattableColumn):
    """A nested document (a profile, evidence) as ``key='value'`` pairs
    with floats to two decimals in tables."""

    def human_readable(self):
        return ', '.join(
            "%s='%s'" % (key, '%.2f' % value if isinstance(value, float)
                         else value)
            for key, value in _flat(self._value or {}))

    def machine_readable(self):
        return _round_tree(self._value or {}, _STORED_DECIMALS)


def add_project_option(parser, help_text):
    parser.add_argument('--project', metavar='<project>', help=help_text)
    identity_common.add_project_domain_option_to_parser(parser)


def project_id(app, parsed_args):
    """The id of ``--project``, given by name or id, looked up in Keystone
    as the other ``openstack`` commands do.

    Without Keystone (``--os-auth-type none``) there is no one to ask: the
    value goes to the API as it is.
    """
    if parsed_args.project is None:
        return None
    manager = app.client_manager
    if manager.auth_plugin_name in ('none', 'noauth', 'admin_token'):
        return parsed_args.project
    return identity_common.find_project(
        manager.identity, parsed_args.project,
        parsed_args.project_domain).id


def add_window(parser):
    parser.add_argument('--start', metavar='<iso-time>',
                        help='Start of the window (inclusive, ISO 8601).')
    parser.add_argument('--end', metavar='<iso-time>',
                        help='End of the window (ISO 8601).')


def add_basis(parser):
    parser.add_argument('--basis', choices=('allocation', 'usage'),
                        default='allocation',
                        help='Price what was allocated, or what was used '
                             '(default: allocation).')


def json_option(value, option):
    """The JSON document of an option, or a clear error."""
    try:
        return json.loads(value)
    except ValueError as exc:
        raise exceptions.CommandError(
            '%s is not valid JSON: %s' % (option, exc))
