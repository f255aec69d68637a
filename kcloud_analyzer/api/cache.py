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
"""A response cache for cost summaries (oslo.cache, Redis in production).

Summaries add up many hourly records, and dashboards ask for the same ones
again and again. An entry is keyed on the request (the caller's project
included) and holds the encoded JSON answer with the **cost generation** it
was computed under, a token kept in the same cache backend
(:data:`GENERATION_KEY`). Every code path that writes cost records (and
with them the daily and monthly totals) replaces the token once its
transaction has committed (:func:`cost_records_changed`), so every earlier
entry is out of date at once, corrections to past hours included. A
request reads the token and the entry together, in one round trip to the
cache (never from the database), and uses the entry only if it was
computed under the current token; a cached answer is sent as it was
stored, without decoding or encoding it again.

Why this order keeps answers right: a summary computed from the database
before a write committed is stored with the token read before it, which
the write then replaces; a summary computed after the commit is fresh
whatever token it is stored with. The token is a random value, not a
counter, so when it expires or is evicted (``[cache] expiration_time``
applies to it as to the entries) the next request draws a new one and no
earlier entry matches it again. If the writer cannot reach the cache
backend it logs a warning and an entry may be served until it expires
(``[cache] expiration_time``); if a request cannot, it computes the
summary. With ``[cache] enabled = false`` (the default) every request is
computed.
"""

import hashlib
import uuid
import weakref

from oslo_cache import core as oslo_cache
from oslo_log import log
from oslo_serialization import jsonutils

LOG = log.getLogger(__name__)

#: the cache key of the cost generation token
GENERATION_KEY = 'kcloud-analyzer:cost-generation'

#: one cache region per configuration object (per process in a service),
#: by the object's id while it lives
_REGIONS = {}


def region(conf):
    """The configured cache region of ``conf``, or None when the cache is
    disabled; made once per configuration object."""
    if not conf.cache.enabled:
        return None
    found = _REGIONS.get(id(conf))
    if found is None:
        found = oslo_cache.create_region()
        oslo_cache.configure_cache_region(conf, found)
        _REGIONS[id(conf)] = found
        weakref.finalize(conf, _REGIONS.pop, id(conf), None)
    return found


def new_generation(cache_region):
    """Replace the cost generation token; return the new one."""
    token = uuid.uuid4().hex
    cache_region.set(GENERATION_KEY, token)
    return token


def generation(cache_region):
    """The current cost generation token (a new one when there is none)."""
    token = cache_region.get(GENERATION_KEY)
    if token is oslo_cache.NO_VALUE:
        token = new_generation(cache_region)
    return token


def cost_records_changed(conf):
    """Make every cached summary unreachable: call it after a transaction
    that wrote cost records has committed. A cache backend that cannot be
    reached is logged, not raised: the records are stored."""
    cache_region = region(conf)
    if cache_region is None:
        return
    try:
        new_generation(cache_region)
    except Exception as exc:
        LOG.warning('Could not replace the cost generation in the cache '
                    '(%s); cached summaries may be served until they '
                    'expire', exc)


class SummaryCache:

    def __init__(self, conf):
        self.region = region(conf)
        self.enabled = self.region is not None

    @staticmethod
    def key(params):
        text = jsonutils.dumps(params, sort_keys=True)
        return 'kcloud-analyzer:cost-summary-json:' + hashlib.sha256(
            text.encode()).hexdigest()

    def get_or_create(self, context, params, create):
        """The cached response for ``params`` if it was computed under the
        current cost generation, or ``create()``'s, stored.

        :param params: JSON-ready request parameters, including the
            project the caller is limited to
        :param create: returns the response as it is sent (the encoded
            JSON document)
        """
        if not self.enabled:
            return create()
        key = self.key(params)
        try:
            token, entry = self.region.get_multi([GENERATION_KEY, key])
            if token is oslo_cache.NO_VALUE:
                token = new_generation(self.region)
        except Exception as exc:
            LOG.warning('Cost summary cache unavailable (%s); computing '
                        'the summary', exc)
            return create()
        if entry is not oslo_cache.NO_VALUE and entry[0] == token:
            return entry[1]
        value = create()
        try:
            self.region.set(key, (token, value))
        except Exception as exc:
            LOG.warning('Could not store a cost summary in the cache '
                        '(%s)', exc)
        return value
