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
"""Where the public traces used for training and evaluation live.

They are kept outside the package on purpose (some carry research-only
terms); commands and tests find them here.
"""

import os
import pathlib

ENV_VAR = 'KCLOUD_ANALYZER_DATA_DIR'
DEFAULT_LOCATION = pathlib.Path('/work/shared/data')


class DataDirNotFound(RuntimeError):
    pass


def _candidates():
    configured = os.environ.get(ENV_VAR)
    if configured:
        yield pathlib.Path(configured)
        return
    # A checkout sits beside the traces (<folder>/main and
    # <folder>/shared/data); a clone made elsewhere on the same machine
    # finds them at the conventional place.
    here = pathlib.Path(__file__).resolve()
    for parent in here.parents[2:]:
        yield parent / 'shared' / 'data'
    yield DEFAULT_LOCATION


def data_dir():
    """Return the folder of public traces, or raise DataDirNotFound.

    ``$KCLOUD_ANALYZER_DATA_DIR`` when set; otherwise the first
    ``shared/data`` in the checkout's folder or one of its parents, then
    ``/work/shared/data``.
    """
    tried = []
    for path in _candidates():
        if path.is_dir():
            return path
        tried.append(str(path))
    raise DataDirNotFound(
        'No trace folder found (tried %s); set %s to the folder that holds '
        'the public traces (alibaba_*, zeus_*, ...).'
        % (', '.join(tried), ENV_VAR))
