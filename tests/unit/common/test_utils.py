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
import datetime
from unittest import mock

import pytest

from kcloud_analyzer.common import utils


def test_utcnow_is_naive_utc():
    now = utils.utcnow()
    assert now.tzinfo is None
    aware = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    assert abs((aware - now).total_seconds()) < 5


def test_run_once_logs_later_calls_and_resets():
    logger = mock.Mock()
    cleanup = mock.Mock()
    calls = []

    @utils.run_once('again', logger, cleanup=cleanup)
    def func(value):
        calls.append(value)
        return value

    assert func(1) == 1
    assert func(2) is None
    assert calls == [1]
    logger.assert_called_once_with('again')
    func.reset()
    cleanup.assert_called_once_with()
    assert func(3) == 3
    assert calls == [1, 3]


def test_run_once_counts_a_raising_call():
    logger = mock.Mock()

    @utils.run_once('again', logger)
    def func():
        raise ValueError('boom')

    with pytest.raises(ValueError):
        func()
    assert func() is None
    logger.assert_called_once_with('again')
