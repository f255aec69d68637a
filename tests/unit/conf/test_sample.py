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
import pathlib

from oslo_config import generator

ROOT = pathlib.Path(__file__).resolve().parents[3]
GENERATOR_CONF = (ROOT / 'etc/kcloud-analyzer'
                  / 'kcloud-analyzer-config-generator.conf')
SAMPLE = ROOT / 'etc/kcloud-analyzer/kcloud-analyzer.conf.sample'


def test_sample_config_is_current(tmp_path):
    """The committed sample must be what `tox -e genconfig` writes."""
    output = tmp_path / 'sample.conf'
    generator.main(['--config-file', str(GENERATOR_CONF),
                    '--output-file', str(output)])
    assert output.read_text() == SAMPLE.read_text(), (
        'etc/kcloud-analyzer/kcloud-analyzer.conf.sample is stale: run '
        '"tox -e genconfig" (or "make genconfig") and commit the result')


def test_sample_lists_every_project_group():
    text = SAMPLE.read_text()
    for group in ('[DEFAULT]', '[api]', '[collector]', '[coordination]',
                  '[cost_model]', '[database]', '[workload_classifier]'):
        assert group in text
    assert '#collection_interval = 30' in text
    assert '#retrain_interval = 24h' in text
    assert '#retrain_interval = 12h' in text
