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
"""``openstack analyzer rate list``: the rate card every cost is
computed with."""

from osc_lib.command import command


def _rows(item, prices):
    """(item, price, value) rows of a nested section of the rate card."""
    for key in prices:
        value = prices[key]
        label = ('%s %s' % (item, key)).strip()
        if isinstance(value, dict):
            yield from _rows(label, value)
        elif isinstance(value, list) and value and all(
                isinstance(entry, dict) for entry in value):
            for entry in value:
                yield from _rows(
                    ('%s %s' % (label, entry.get('name', ''))).strip(),
                    {k: v for k, v in entry.items() if k != 'name'})
        elif isinstance(value, list):
            yield item, key, ', '.join(str(entry) for entry in value)
        else:
            yield item, key, value


class ListRate(command.Lister):
    """List the prices of the rate card: compute, each accelerator model,
    storage, network and electricity."""

    def take_action(self, parsed_args):
        card = self.app.client_manager.analyzer.rate_card()
        sections = {key: value for key, value in card.items()
                    if isinstance(value, (dict, list))}
        return (('item', 'price', 'value', 'currency'),
                [row + (card.get('currency'),)
                 for row in _rows('', sections)])
