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
import gc

import pytest


@pytest.fixture(autouse=True)
def _python_garbage_collector():
    """An agent started in the test process sets up its garbage collector
    (``utils.tune_garbage_collection``); the next test gets Python's
    settings back."""
    threshold = gc.get_threshold()
    yield
    if gc.get_freeze_count() or gc.get_threshold() != threshold:
        gc.unfreeze()
        gc.set_threshold(*threshold)
