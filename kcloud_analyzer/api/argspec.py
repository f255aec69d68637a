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

oslo.policy and oslo.middleware do the same with
``inspect.getfullargspec``: oslo.policy for every check of every rule
enforced (to learn whether the check takes the rule's name), oslo.middleware
for every response of every middleware (to learn whether
``process_response`` takes the request). :func:`install` gives them the
same kind of memo.
"""

import inspect
import threading

from oslo_middleware import base as middleware_base
from oslo_policy import _checks as policy_checks
import pecan.core
import pecan.rest
import pecan.routing
import pecan.util

#: the modules that call ``getargspec`` by that name
_CALLERS = (pecan.core, pecan.rest, pecan.routing)
_lock = threading.Lock()


#: functions a memo remembers at most: the controllers' and middleware's
#: methods and the policy checks' are a few dozen; a callable made anew
#: for each request would otherwise make the memo grow for ever
MAX_ENTRIES = 1024


def memoized(getargspec, max_entries=MAX_ENTRIES):
    """``getargspec`` answering from a memo keyed on the function (a bound
    method's function: its spec is the same, ``self`` included). The memo
    is emptied when it holds ``max_entries`` functions."""
    found = {}

    def cached(method):
        key = getattr(method, '__func__', method)
        try:
            return found[key]
        except KeyError:
            if len(found) >= max_entries:
                found.clear()
            spec = found[key] = getargspec(method)
            return spec
        except TypeError:
            # Not hashable: an odd callable, asked every time.
            return getargspec(method)

    cached.original = getargspec
    return cached


class _Inspect:
    """The ``inspect`` module as oslo.policy's checks see it: its own
    ``getfullargspec`` memoized, everything else the module's."""

    def __init__(self, getfullargspec):
        self.getfullargspec = getfullargspec

    def __getattr__(self, name):
        return getattr(inspect, name)


def install():
    """Have Pecan's routing, oslo.policy's checks and oslo.middleware's
    middleware use the memos (once per process)."""
    with _lock:
        if getattr(pecan.util.getargspec, 'original', None) is not None:
            return
        cached = memoized(pecan.util.getargspec)
        pecan.util.getargspec = cached
        for module in _CALLERS:
            # only where Pecan calls it by that name (a release that
            # renamed it would just go without the memo)
            if getattr(module, 'getargspec', None) is cached.original:
                module.getargspec = cached
        full = memoized(inspect.getfullargspec)
        if policy_checks.inspect is inspect:
            policy_checks.inspect = _Inspect(full)
        if middleware_base.getfullargspec is inspect.getfullargspec:
            middleware_base.getfullargspec = full
