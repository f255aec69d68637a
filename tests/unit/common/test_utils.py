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
import decimal
import gc
from unittest import mock

import numpy as np
import pandas as pd
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


def test_json_ready_leaves_plain_python_only():
    value = {
        1: np.int64(3), 'f': np.float32(0.5), 'nan': float('nan'),
        'inf': np.inf, 'na': pd.NA, 'nat': pd.NaT, 'b': np.bool_(True),
        'money': decimal.Decimal('2.25'), 'nested': ({'x': np.nan},),
        'day': datetime.date(2026, 1, 2),
        'stamp': pd.Timestamp('2026-01-02 03:04:05'), 'text': 'a',
    }
    assert utils.json_ready(value) == {
        '1': 3, 'f': 0.5, 'nan': None, 'inf': None, 'na': None, 'nat': None,
        'b': True, 'money': 2.25, 'nested': [{'x': None}],
        'day': '2026-01-02', 'stamp': '2026-01-02T03:04:05', 'text': 'a',
    }
    ready = utils.json_ready(value)
    assert type(ready['1']) is int and type(ready['b']) is bool


def test_tune_garbage_collection_freezes_the_start_and_spaces_collections():
    threshold = gc.get_threshold()
    try:
        class Start:
            pass

        start = Start()
        frozen = utils.tune_garbage_collection(young=12345)
        assert frozen == gc.get_freeze_count() > 0
        assert gc.get_threshold() == (12345,) + threshold[1:]
        # what the start built is out of the collector's generations
        assert not any(obj is start for obj in gc.get_objects())
        later = Start()
        assert any(obj is later for obj in gc.get_objects())
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
