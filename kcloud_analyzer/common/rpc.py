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

Delivery is durable by default: the agent declares its queues durable
(``[oslo_messaging_rabbit] amqp_durable_queues``, or quorum queues with
``rabbit_quorum_queue``) and oslo.messaging publishes persistent messages,
so a backlog survives a broker restart.
"""

from oslo_config import cfg
import oslo_messaging
from oslo_messaging import opts as messaging_opts

from kcloud_analyzer.conf import notification

RABBIT_GROUP = 'oslo_messaging_rabbit'

#: oslo.messaging option defaults that differ for this service
MESSAGING_DEFAULTS = {'amqp_durable_queues': True}


def _rabbit_opts():
    for group, opts in messaging_opts.list_opts():
        if getattr(group, 'name', group) == RABBIT_GROUP:
            return list(opts)
    return []


def set_defaults(conf):
    """Register the RabbitMQ driver's options on ``conf`` with this
    service's defaults (durable queues)."""
    conf.register_opts(_rabbit_opts(), group=RABBIT_GROUP)
    for name, value in MESSAGING_DEFAULTS.items():
        conf.set_default(name, value, group=RABBIT_GROUP)


def set_lib_defaults():
    """The same defaults for oslo-config-generator's sample.

    ``oslo_messaging.opts.list_opts`` returns copies of the options, so the
    defaults are set on the driver's own option lists, which are copied.
    """
    from oslo_messaging._drivers import amqp
    from oslo_messaging._drivers import impl_rabbit

    cfg.set_defaults(amqp.amqp_opts, **MESSAGING_DEFAULTS)
    cfg.set_defaults(impl_rabbit.rabbit_opts,
                     rabbit_qos_prefetch_count=prefetch_count(
                         notification.DEFAULT_BATCH_SIZE))


#: batches of notifications RabbitMQ may send the agent ahead of its
#: acknowledgements: one stored while the next is gathered
PREFETCH_BATCHES = 2


def prefetch_count(batch_size):
    return PREFETCH_BATCHES * batch_size


def set_prefetch_default(conf):
    """Unless the configuration sets ``[oslo_messaging_rabbit]
    rabbit_qos_prefetch_count``, let RabbitMQ send at most two batches
    (``[notification] batch_size``) of notifications that are not
    acknowledged yet. oslo.messaging's default, 0, lets it send the whole
    backlog of a queue at once, which the agent then holds in memory."""
    conf.register_opts(_rabbit_opts(), group=RABBIT_GROUP)
    conf.set_default('rabbit_qos_prefetch_count',
                     prefetch_count(conf.notification.batch_size),
                     group=RABBIT_GROUP)


def get_transport(conf, url=None):
    """The notification transport of ``conf`` (or of ``url``), whose
    consumers take at most two batches ahead (:func:`set_prefetch_default`).
    """
    set_prefetch_default(conf)
    return oslo_messaging.get_notification_transport(conf, url=url)


def get_batch_listener(transport, topics, endpoints, pool=None,
                       batch_size=notification.DEFAULT_BATCH_SIZE,
                       batch_timeout=5, exchanges=None):
    """A batch notification listener on ``topics`` of each of
    ``exchanges`` (None: the transport's control exchange); not started.
    """
    targets = [oslo_messaging.Target(topic=topic, exchange=exchange)
               for topic in topics for exchange in (exchanges or [None])]
    return oslo_messaging.get_batch_notification_listener(
        transport, targets, endpoints, executor='threading',
        allow_requeue=True, pool=pool, batch_size=batch_size,
        batch_timeout=batch_timeout)


def pool_queue(pool, topic):
    """The pool (and RabbitMQ queue) name of the agents' listener on
    ``topic``: one queue per topic, so that what a listener refuses goes
    to its own topic's dead-letter queue."""
    return '%s.%s' % (pool, topic)


def get_listeners(conf, transport, endpoints):
    """The agent's listeners, one per topic of ``[notification] topics``;
    ``endpoints(topic)`` returns the endpoints of one topic."""
    group = conf.notification
    return [get_batch_listener(
        transport, [topic], endpoints(topic),
        pool=pool_queue(group.pool, topic), batch_size=group.batch_size,
        batch_timeout=group.batch_timeout, exchanges=group.exchanges)
        for topic in group.topics]


def get_notifier(transport, publisher_id, topics):
    """A notifier that sends on ``topics`` through the messaging driver."""
    return oslo_messaging.Notifier(transport, publisher_id=publisher_id,
                                   driver='messagingv2', topics=topics)
