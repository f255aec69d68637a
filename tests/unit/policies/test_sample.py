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

from oslo_config import cfg
from oslo_policy import generator

ROOT = pathlib.Path(__file__).resolve().parents[3]
GENERATOR_CONF = ROOT / 'etc/kcloud-analyzer/policy-generator.conf'
SAMPLE = ROOT / 'etc/kcloud-analyzer/policy.yaml.sample'


def test_policy_sample_is_current(tmp_path):
    """The committed sample must be what `tox -e genpolicy` writes."""
    output = tmp_path / 'policy.yaml.sample'
    generator.generate_sample(
        args=['--config-file', str(GENERATOR_CONF),
              '--output-file', str(output)],
        conf=cfg.ConfigOpts())
    assert output.read_text() == SAMPLE.read_text(), (
        'etc/kcloud-analyzer/policy.yaml.sample is stale: run '
        '"tox -e genpolicy" (or "make genpolicy") and commit the result')
