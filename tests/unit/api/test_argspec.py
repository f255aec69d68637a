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
"""Pecan's argument specs, read once per controller method."""

import pecan.core
import pecan.rest
import pecan.routing
import pecan.util

from kcloud_analyzer.api import argspec
from kcloud_analyzer.api.controllers.v1 import cost
from kcloud_analyzer.api.controllers.v1 import workloads


def _original():
    return getattr(pecan.util.getargspec, 'original', pecan.util.getargspec)


def test_answers_are_pecans_own():
    controller = cost.CostController()
    methods = [controller.get_one, controller.get_all, controller._route,
               workloads.WorkloadsController().get_one,
               cost.CostController.get_one]
    cached = argspec.memoized(_original())
    for method in methods:
        assert cached(method) == _original()(method)
        assert cached(method) == _original()(method)


def test_each_function_is_inspected_once():
    calls = []

    def counting(method):
        calls.append(method)
        return _original()(method)

    cached = argspec.memoized(counting)
    # A bound method is made anew at each attribute access.
    for _ in range(3):
        cached(cost.CostController().get_one)
        cached(cost.CostController().get_all)
    assert len(calls) == 2


def test_the_memo_is_bounded():
    calls = []

    def counting(method):
        calls.append(method)
        return _original()(method)

    def make(default):
        # a function made anew each time, as a per-request closure is
        def function(a, b=default):
            return a
        return function

    cached = argspec.memoized(counting, max_entries=4)
    made = [make(i) for i in range(10)]
    for function in made:
        assert cached(function) == _original()(function)
    assert len(calls) == 10
    cached(made[-1])
    assert len(calls) == 10
    # the first ones were forgotten when the memo filled up
    cached(made[0])
    assert len(calls) == 11


def test_install_reaches_pecans_routing():
    argspec.install()
    argspec.install()
    for module in (pecan.util, pecan.core, pecan.rest, pecan.routing):
        assert module.getargspec is pecan.util.getargspec
    assert pecan.util.getargspec.original.__module__ == 'pecan.util'


def test_install_reaches_oslo_policy_and_oslo_middleware():
    import inspect

    from oslo_middleware import base as middleware_base
    from oslo_policy import _checks

    argspec.install()
    argspec.install()
    check = _checks.GenericCheck('project_id', '%(project_id)s')
    spec = _checks.inspect.getfullargspec(check.__call__)
    assert spec == inspect.getfullargspec(check.__call__)
    assert _checks.inspect.getfullargspec(check.__call__) is spec
    assert _checks.inspect.signature is inspect.signature
    assert middleware_base.getfullargspec.original is \
        inspect.getfullargspec
    # Checks still see the rule's name where they take it.
    assert _checks._check(check, {'project_id': 'p'}, {'project_id': 'p'},
                          None, 'rule') is True
