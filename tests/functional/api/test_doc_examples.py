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
"""Every ``curl -X POST ... -d '...'`` example of the README and the guides
answers 200 as it is written, the seed's example body first of all."""

import json
import pathlib
import re

import pytest
import webob

from kcloud_analyzer.api import app
from kcloud_analyzer.common import context
from kcloud_analyzer.db import migration
from tests import fixtures as test_fixtures
from tests.functional.api import fixtures

ROOT = pathlib.Path(__file__).resolve().parents[3]
_EXAMPLE = re.compile(
    r"curl -s -X POST http://[^/\s]+(/api/v1/[\w-]+).*?-d '(\{.*?\})'",
    re.S)


def _examples():
    found = []
    for path in [ROOT / 'README.rst', *sorted(
            (ROOT / 'doc' / 'source').rglob('*.rst'))]:
        for match in _EXAMPLE.finditer(path.read_text(encoding='utf-8')):
            found.append(pytest.param(
                match.group(1), json.loads(match.group(2)),
                id='%s:%s' % (path.relative_to(ROOT), match.group(1))))
    return found


EXAMPLES = _examples()


def test_the_seed_examples_are_found():
    paths = {param.values[0] for param in EXAMPLES}
    assert {'/api/v1/analyze', '/api/v1/predict-cost'} <= paths


@pytest.fixture(scope='module')
def application(tmp_path_factory):
    store = tmp_path_factory.mktemp('examples') / 'store.sqlite'
    conf = fixtures.make_conf('sqlite:///%s' % store)
    test_fixtures.use_store(conf)
    migration.upgrade()
    fixtures.seed(context.get_admin_context())
    return app.setup_app(conf, auth_middleware=fixtures.TokenMiddleware)


@pytest.mark.parametrize('path,body', EXAMPLES)
def test_example_answers_200(application, path, body):
    request = webob.Request.blank(path, method='POST')
    request.headers['X-Auth-Token'] = 'member-a'
    request.content_type = 'application/json'
    request.body = json.dumps(body).encode()
    response = request.get_response(application)
    assert response.status_code == 200, response.text
    resources = body.get('resources') or {}
    if resources.get('gpu_count') and not resources.get('accelerator'):
        # priced at the rate card's default GPU model, and said so
        assert response.json['assumed_accelerator'] == 'A100'
