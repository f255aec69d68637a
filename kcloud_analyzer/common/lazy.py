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
"""Modules imported when first used, for the commands' quick start.

``kcloud-analyzer-manage --help`` builds the parsers of every command; the
analytics stack (pandas, scikit-learn, statsmodels) those commands run on
is only loaded when one of them runs.
"""

import importlib.util
import sys


def load(name):
    """The module ``name``, executed on its first attribute access."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise ImportError('No module named %r' % name, name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def load_all(*names):
    """The modules ``names``, in order, each executed on its first
    attribute access (see :func:`load`)."""
    return tuple(load(name) for name in names)
