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
again and again. Each entry is keyed on the request and on the newest cost
record id, so new cost records make every earlier entry unreachable;
entries also expire after ``[cache] expiration_time``. With ``[cache]
enabled = false`` (the default) every request is computed.
"""

import hashlib

from oslo_cache import core as oslo_cache
from oslo_serialization import jsonutils

from kcloud_analyzer.db import api as db_api


class SummaryCache:

    def __init__(self, conf):
        self.enabled = conf.cache.enabled
        self.region = oslo_cache.create_region()
        if self.enabled:
            oslo_cache.configure_cache_region(conf, self.region)

    @staticmethod
    def key(context, params):
        watermark = db_api.cost_records_watermark(context)
        text = jsonutils.dumps({'params': params, 'watermark': watermark},
                               sort_keys=True)
        return 'kcloud-analyzer:cost-summary:' + hashlib.sha256(
            text.encode()).hexdigest()

    def get_or_create(self, context, params, create):
        """The cached response for ``params``, or ``create()``'s, stored.

        :param params: JSON-ready request parameters, including the
            project the caller is limited to
        :param create: returns the JSON-ready response
        """
        if not self.enabled:
            return create()
        key = self.key(context, params)
        value = self.region.get(key)
        if value is oslo_cache.NO_VALUE:
            value = create()
            self.region.set(key, value)
        return value
