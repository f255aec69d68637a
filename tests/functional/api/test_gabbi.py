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
"""Run the YAML API tests in ``gabbits/`` (one file per resource)."""

import os

from gabbi import driver
# pytest collects this function; the generator below parametrizes it
# with every YAML test.
from gabbi.driver import test_pytest  # noqa: F401

from tests.functional.api import fixtures

GABBITS = os.path.join(os.path.dirname(__file__), 'gabbits')


def pytest_generate_tests(metafunc):
    driver.py_test_generator(
        GABBITS, intercept=fixtures.setup_app, fixture_module=fixtures,
        test_loader_name=metafunc.module.__name__, metafunc=metafunc)
