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
from kcloud_analyzer.metrics_collector.collectors import ipmi


def test_load_bmcs(tmp_path):
    path = tmp_path / 'bmcs.yaml'
    path.write_text(
        '- name: node-1\n  address: 10.0.0.1\n  username: u\n'
        '  password: p\n  instances: [a, b]\n'
        '- address: 10.0.0.2\n  port: 6230\n')
    bmcs = ipmi.load_bmcs(path)
    assert bmcs['node-1'] == {'address': '10.0.0.1', 'port': 623,
                              'username': 'u', 'password': 'p',
                              'instances': ['a', 'b']}
    assert bmcs['10.0.0.2']['port'] == 6230
    assert bmcs['10.0.0.2']['instances'] == []
