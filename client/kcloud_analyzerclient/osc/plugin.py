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
"""The ``openstack analyzer`` plugin of python-openstackclient."""

from osc_lib import utils

from kcloud_analyzerclient import client as analyzer_client

DEFAULT_API_VERSION = '1'
API_VERSION_OPTION = 'os_analyzer_api_version'
API_NAME = 'analyzer'
API_VERSIONS = {'1': 'kcloud_analyzerclient.client.Client'}
SERVICE_TYPE = 'workload-analyzer'


def make_client(instance):
    """The REST client for the ClientManager of openstackclient."""
    endpoint = instance.get_endpoint_for_service_type(
        SERVICE_TYPE, region_name=instance.region_name,
        interface=instance.interface)
    return analyzer_client.Client(session=instance.session,
                                  endpoint=endpoint)


def build_option_parser(parser):
    parser.add_argument(
        '--os-analyzer-api-version',
        metavar='<analyzer-api-version>',
        default=utils.env('OS_ANALYZER_API_VERSION',
                          default=DEFAULT_API_VERSION),
        help='Workload analyzer API version, default=%s '
             '(Env: OS_ANALYZER_API_VERSION)' % DEFAULT_API_VERSION)
    return parser
