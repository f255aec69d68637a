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
"""Small utilities shared across the service."""

import datetime
import decimal
import functools
import gc

import numpy as np
import pandas as pd


def utcnow():
    """The current time as a naive UTC datetime, as the store keeps it."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def run_once(message, logger, cleanup=None):
    """Run the decorated function once; later calls only log ``message``.

    As Placement's ``placement.util.run_once``: the wrapper is marked
    called even when the function raised. ``wrapper.reset()`` calls
    ``cleanup`` (when the function ran) and lets it run again.
    """
    def outer(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if wrapper.called:
                logger(message)
                return None
            try:
                return func(*args, **kwargs)
            finally:
                wrapper.called = True

        wrapper.called = False

        def reset(*args, **kwargs):
            try:
                if cleanup is not None and wrapper.called:
                    return cleanup(*args, **kwargs)
            finally:
                wrapper.called = False
            return None

        wrapper.reset = reset
        return wrapper
    return outer


#: allocations of containers between two collections of the youngest
#: generation (Python's default is 700), see tune_garbage_collection
GC_YOUNG_THRESHOLD = 50000


def tune_garbage_collection(young=GC_YOUNG_THRESHOLD):
    """Set up the garbage collector of a long-running service process.

    A listener decodes tens of thousands of containers a second (a batch
    of 100 Ceilometer notifications of 100 samples is some 30,000 dicts),
    nearly all freed by reference counting once their batch is stored.
    With Python's defaults the collector scans them several times on the
    way and its full collections walk the few hundred thousand objects the
    imports made, which never become garbage. So: what the process built
    while starting (modules, classes, configuration) is frozen out of the
    collector's passes (``gc.freeze``, as the Python documentation suggests
    for long-running servers), and the youngest generation is collected
    every ``young`` allocations instead of 700. Call once the service is
    set up, before its listeners start; returns the number of objects
    frozen.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(young, *gc.get_threshold()[1:])
    return gc.get_freeze_count()


def json_ready(value):
    """``value`` with plain Python scalars only, for a JSON document.

    Containers are walked (keys become strings); numpy and Decimal
    numbers become ints and floats, NaN, infinities and missing values
    None, dates and times ISO 8601 strings.
    """
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating, decimal.Decimal)):
        value = float(value)
        return value if np.isfinite(value) else None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value
