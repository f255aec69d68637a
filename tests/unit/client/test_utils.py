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
"""How the ``openstack analyzer`` commands show money, shares and
figures."""

from kcloud_analyzerclient.osc import utils


def test_money_is_cents_in_tables_and_stored_precision_for_scripts():
    column = utils.MoneyColumn(0.42105263157894735)
    assert column.human_readable() == '0.42'
    assert column.machine_readable() == 0.421053
    assert utils.MoneyColumn(None).human_readable() == ''


def test_rates_keep_four_decimals():
    assert utils.RateColumn(0.0310000001).human_readable() == '0.0310'


def test_shares_are_percentages():
    column = utils.ShareColumn(0.8734)
    assert column.human_readable() == '87%'
    assert column.machine_readable() == 0.8734


def test_nested_documents_are_rounded():
    column = utils.RoundedDictColumn(
        {'resource': {'gpu_utilization.mean': 41.2512344, 'primary': 'gpu'},
         'energy_kwh': 3})
    assert column.human_readable() == (
        "energy_kwh='3', resource.gpu_utilization.mean='41.25', "
        "resource.primary='gpu'")
    assert column.machine_readable() == {
        'resource': {'gpu_utilization.mean': 41.251234, 'primary': 'gpu'},
        'energy_kwh': 3}
