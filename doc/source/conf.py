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
"""Sphinx configuration of the kcloud-analyzer documentation."""

import importlib.util

extensions = [
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
    'oslo_policy.sphinxext',
    'oslo_policy.sphinxpolicygen',
]

# Written into _static/ at build time and offered for download.
config_generator_config_file = (
    '../../etc/kcloud-analyzer/kcloud-analyzer-config-generator.conf')
sample_config_basename = '_static/kcloud-analyzer'
policy_generator_config_file = (
    '../../etc/kcloud-analyzer/policy-generator.conf')
sample_policy_basename = '_static/kcloud-analyzer'

project = 'kcloud-analyzer'
copyright = '2026, kcloud-analyzer developers'
master_doc = 'index'
exclude_patterns = ['_build']
pygments_style = 'native'
html_static_path = ['_static']

if importlib.util.find_spec('openstackdocstheme'):
    extensions.append('openstackdocstheme')
    html_theme = 'openstackdocs'
    openstackdocs_repo_name = 'openstack/kcloud-analyzer'
    openstackdocs_bug_project = 'kcloud-analyzer'
    openstackdocs_bug_tag = 'doc'
    openstackdocs_auto_name = False
else:
    html_theme = 'alabaster'
