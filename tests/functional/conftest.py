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
"""Fixtures of every functional area."""

import pytest

from tests.functional.collector import services


@pytest.fixture
def broker():
    """A :class:`~tests.functional.collector.services.Broker` on the shared
    RabbitMQ: the test's topics and queues are deleted at its end, and the
    exchanges no queue is bound to any more."""
    services.require_port('127.0.0.1', 5672, 'RabbitMQ')
    names = services.Broker(services.RABBIT_URL)
    yield names
    names.cleanup()
