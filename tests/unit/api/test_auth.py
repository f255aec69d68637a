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
"""Which requests go around the authentication middleware."""

import pytest

from kcloud_analyzer.api import auth


def _route(path, remote_addr, cidrs=('127.0.0.0/8', '::1/128')):
    seen = {}

    def public(environ, start_response):
        seen['by'] = 'public'
        seen['trusted'] = environ.get(auth.METRICS_TRUSTED, False)
        return []

    def authenticated(environ, start_response):
        seen['by'] = 'authenticated'
        return []

    routes = auth.PublicRoutes(public, authenticated, auth.networks(cidrs))
    routes({'PATH_INFO': path, 'REMOTE_ADDR': remote_addr}, None)
    return seen


@pytest.mark.parametrize('address', ['127.0.0.1', '127.8.9.10', '::1',
                                     '::ffff:127.0.0.1'])
def test_metrics_from_an_allowed_network_need_no_token(address):
    assert _route('/metrics', address) == {'by': 'public', 'trusted': True}


@pytest.mark.parametrize('address', ['192.0.2.7', '2001:db8::1', '',
                                     'not-an-address'])
def test_metrics_from_elsewhere_are_authenticated(address):
    assert _route('/metrics', address) == {'by': 'authenticated'}


def test_no_network_allowed():
    assert _route('/metrics', '127.0.0.1', cidrs=()) == {
        'by': 'authenticated'}


def test_other_public_paths_stay_public_from_anywhere():
    assert _route('/health', '192.0.2.7')['by'] == 'public'
    assert _route('/api/v1/workloads', '127.0.0.1')['by'] == 'authenticated'


def test_a_bad_network_is_named():
    with pytest.raises(ValueError, match='metrics_allowed_cidrs.*10.0.0.0/33'):
        auth.networks(['10.0.0.0/33'])
