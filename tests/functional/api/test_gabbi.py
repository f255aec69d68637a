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
"""Run the YAML API tests in ``gabbits/`` (one file per resource).

Each file is one pytest test running its gabbi suite in order, through
unittest: gabbi's own pytest plugin renames collected tests and breaks
other tests whose ids contain a colon.
"""

import pathlib
import unittest
import uuid

from gabbi import handlers
from gabbi import suitemaker
from gabbi import utils
import pytest

from tests.functional.api import fixtures

GABBITS = pathlib.Path(__file__).parent / 'gabbits'


@pytest.mark.parametrize('path', sorted(GABBITS.glob('*.yaml')),
                         ids=lambda path: path.stem)
def test_gabbi(path):
    suite = suitemaker.test_suite_from_dict(
        unittest.TestLoader(), path.stem,
        utils.load_yaml(yaml_file=str(path)), str(GABBITS),
        host=str(uuid.uuid4()), port=8001, fixture_module=fixtures,
        intercept=fixtures.setup_app,
        handlers=[handler() for handler in handlers.RESPONSE_HANDLERS],
        test_loader_name=__name__)
    result = unittest.TextTestRunner(verbosity=0).run(suite)
    failures = result.failures + result.errors
    assert not failures, '\n\n'.join(
        '%s\n%s' % (test.id(), trace) for test, trace in failures)
    assert result.testsRun == len(
        utils.load_yaml(yaml_file=str(path))['tests'])
