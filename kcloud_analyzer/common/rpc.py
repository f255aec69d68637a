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
"""Message bus setup: the notification transport, batch listeners and the
notifier used by tests and the benchmark.

Listeners run oslo.messaging's ``threading`` executor (no eventlet) and
may requeue: an endpoint that cannot store a batch returns REQUEUE.
"""

import oslo_messaging


def get_transport(conf, url=None):
    """The notification transport of ``conf`` (or of ``url``)."""
    return oslo_messaging.get_notification_transport(conf, url=url)


def get_batch_listener(transport, topics, endpoints, pool=None,
                       batch_size=500, batch_timeout=5, exchanges=None):
    """A batch notification listener on ``topics`` of each of
    ``exchanges`` (None: the transport's control exchange); not started.
    """
    targets = [oslo_messaging.Target(topic=topic, exchange=exchange)
               for topic in topics for exchange in (exchanges or [None])]
    return oslo_messaging.get_batch_notification_listener(
        transport, targets, endpoints, executor='threading',
        allow_requeue=True, pool=pool, batch_size=batch_size,
        batch_timeout=batch_timeout)


def get_listener(conf, transport, endpoints):
    """The agent's listener, shaped by the ``[notification]`` options."""
    group = conf.notification
    return get_batch_listener(
        transport, group.topics, endpoints, pool=group.pool,
        batch_size=group.batch_size, batch_timeout=group.batch_timeout,
        exchanges=group.exchanges)


def get_notifier(transport, publisher_id, topics):
    """A notifier that sends on ``topics`` through the messaging driver."""
    return oslo_messaging.Notifier(transport, publisher_id=publisher_id,
                                   driver='messagingv2', topics=topics)
