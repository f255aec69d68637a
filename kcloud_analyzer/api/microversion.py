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
"""The ``OpenStack-API-Version: analyzer X.Y`` header.

Every response names the version it was served at, and clients may ask
for any version between :data:`MIN_VERSION` and :data:`MAX_VERSION` (or
``latest``). Version history:

* 1.0 -- the first release.
"""

import re

import webob.dec

from kcloud_analyzer.api import errors

SERVICE_TYPE = 'analyzer'
HEADER = 'OpenStack-API-Version'
ENVIRON_KEY = 'kcloud_analyzer.microversion'

MIN_VERSION = (1, 0)
MAX_VERSION = (1, 0)

_VERSION = re.compile(r'^(0|[1-9]\d*)\.(0|[1-9]\d*)$')


def format_version(version):
    return '%d.%d' % version


def parse(header_value):
    """The version a request asked for, or the minimum when none.

    :raises errors.VersionInvalid: for a malformed header
    :raises errors.VersionNotAcceptable: for a version out of range
    """
    requested = None
    for item in (header_value or '').split(','):
        parts = item.strip().split()
        if len(parts) == 2 and parts[0].lower() == SERVICE_TYPE:
            requested = parts[1]
    if requested is None:
        return MIN_VERSION
    if requested == 'latest':
        return MAX_VERSION
    match = _VERSION.match(requested)
    if not match:
        raise errors.VersionInvalid(
            reason='%r is not of the form "%s X.Y".' % (requested,
                                                         SERVICE_TYPE))
    version = (int(match.group(1)), int(match.group(2)))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise errors.VersionNotAcceptable(
            requested=requested, minimum=format_version(MIN_VERSION),
            maximum=format_version(MAX_VERSION))
    return version


class MicroversionMiddleware:
    """Negotiate the version and announce it on every response."""

    def __init__(self, application):
        self.application = application

    @webob.dec.wsgify
    def __call__(self, request):
        try:
            version = parse(request.headers.get(HEADER))
        except (errors.VersionInvalid, errors.VersionNotAcceptable) as error:
            response = errors.response_for(
                error, request.environ.get('openstack.request_id'))
            version = MIN_VERSION
        else:
            request.environ[ENVIRON_KEY] = version
            response = request.get_response(self.application)
        response.headers[HEADER] = '%s %s' % (SERVICE_TYPE,
                                              format_version(version))
        response.headers.add('Vary', HEADER)
        return response
