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
"""Pecan's argument specs of controller methods, worked out once.

Pecan routes a request by reading the argument spec of every controller
method on the way, several times per request, and each reading inspects
the function again and builds a new namedtuple class (``pecan.compat``):
about a third of a cost lookup's CPU went there. A method's arguments do
not change while the service runs, so :func:`install` has Pecan's routing
ask a memo of ``pecan.util.getargspec`` instead; the answers are Pecan's
own.
"""

import threading

import pecan.core
import pecan.rest
import pecan.routing
import pecan.util

#: the modules that call ``getargspec`` by that name
_CALLERS = (pecan.core, pecan.rest, pecan.routing)
_lock = threading.Lock()


def memoized(getargspec):
    """``getargspec`` answering from a memo keyed on the function (a bound
    method's function: its spec is the same, ``self`` included)."""
    found = {}

    def cached(method):
        key = getattr(method, '__func__', method)
        try:
            return found[key]
        except KeyError:
            spec = found[key] = getargspec(method)
            return spec
        except TypeError:
            # Not hashable: an odd callable, asked every time.
            return getargspec(method)

    cached.original = getargspec
    return cached


def install():
    """Have Pecan's routing use the memo (once per process)."""
    with _lock:
        if getattr(pecan.util.getargspec, 'original', None) is not None:
            return
        cached = memoized(pecan.util.getargspec)
        pecan.util.getargspec = cached
        for module in _CALLERS:
            module.getargspec = cached
