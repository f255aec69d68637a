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
"""Option types shared by several groups."""

import re

from oslo_config import types

_DURATION_RE = re.compile(r'^\s*(\d+)\s*([smhd]?)\s*$')
_SECONDS_PER_UNIT = {'': 1, 's': 1, 'm': 60, 'h': 3600, 'd': 86400}


class Duration(types.ConfigType):
    """A duration in seconds, written as ``45``, ``45s``, ``30m``, ``24h``
    or ``7d`` (the forms of the seed's config.yaml)."""

    def __init__(self, min=0, type_name='duration value'):
        super().__init__(type_name=type_name)
        self.min = min

    def __call__(self, value):
        if isinstance(value, bool):
            raise ValueError('%r is not a duration' % value)
        if isinstance(value, int):
            seconds = value
        else:
            match = _DURATION_RE.match(str(value))
            if not match:
                raise ValueError(
                    '%r is not a duration; use seconds or a number followed '
                    'by s, m, h or d (e.g. 30m, 24h)' % value)
            seconds = int(match.group(1)) * _SECONDS_PER_UNIT[match.group(2)]
        if seconds < self.min:
            raise ValueError('duration %r is below the minimum of %d seconds'
                             % (value, self.min))
        return seconds

    def __repr__(self):
        return 'Duration'

    def __eq__(self, other):
        return self.__class__ == other.__class__ and self.min == other.min

    def _formatter(self, value):
        return str(value)
