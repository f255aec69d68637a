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
from keystoneauth1.identity import generic

from kcloud_analyzer.metrics_collector.collectors import gnocchi
from tests.functional.collector import services


def test_keystone_mode_builds_a_session_from_the_group_options():
    collector = gnocchi.GnocchiCollector(services.make_conf({
        ('gnocchi_collector', 'auth_type'): 'password',
        ('gnocchi_collector', 'auth_url'): 'http://keystone.example:5000/v3',
        ('gnocchi_collector', 'username'): 'kcloud-analyzer',
        ('gnocchi_collector', 'password'): 'secret',
        ('gnocchi_collector', 'project_name'): 'service',
        ('gnocchi_collector', 'user_domain_id'): 'default',
        ('gnocchi_collector', 'project_domain_id'): 'default',
        ('gnocchi_collector', 'region_name'): 'RegionOne',
    }))
    session = collector.client.api.session
    assert isinstance(session.auth, generic.Password)
    assert session.auth.auth_url == 'http://keystone.example:5000/v3'
    # no endpoint given: Gnocchi is found in the catalog
    assert collector.client.api.endpoint_override is None
    assert collector.client.api.service_type == 'metric'
    assert collector.client.api.interface == 'internal'
    assert collector.client.api.region_name == 'RegionOne'
