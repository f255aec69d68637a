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


class DataDirNotFound(RuntimeError):
    pass


def data_dir():
    """Return the folder of public traces, or raise DataDirNotFound."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = pathlib.Path(configured)
    else:
        repo = pathlib.Path(__file__).resolve().parents[2]
        path = repo.parent / 'shared' / 'data'
    if not path.is_dir():
        raise DataDirNotFound(
            'The trace folder %s does not exist; set %s to the folder that '
            'holds the public traces (alibaba_*, zeus_*, ...).' % (path, ENV_VAR))
    return path
