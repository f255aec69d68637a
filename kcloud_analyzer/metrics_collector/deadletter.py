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
"""Dead-letter queues: ``<topic>.dlq`` holds the notifications of
``<topic>`` that the agent refused or could not store, with the reason.

A dead letter is a persistent JSON message on the durable RabbitMQ queue
``<topic>.dlq`` (a quorum queue when ``[oslo_messaging_rabbit]
rabbit_quorum_queue`` is set), published through the default exchange
with publisher confirms: it depends on no exchange another service
declares, and a send that the broker did not confirm raises, so the
notification being handled is requeued rather than lost. Its body keeps
the original notification, the priority it came with and the reason.
``kcloud-analyzer-manage dlq list|replay`` reads them back.
"""

import datetime
import json
import threading
import urllib.parse
import uuid

import kombu
from oslo_log import log as logging
import oslo_messaging

from kcloud_analyzer.common import prometheus
from kcloud_analyzer.metrics_collector import normalise

LOG = logging.getLogger(__name__)

_MESSAGE_KEYS = ('ctxt', 'publisher_id', 'event_type', 'payload',
                 'metadata')


def queue_name(topic):
    """The queue that holds the dead letters of ``topic``."""
    return '%s.dlq' % topic


def broker_url(conf, url=None):
    """The kombu URL of the notification transport (``url`` or the
    configured one), or None when it is not RabbitMQ."""
    if url is None:
        url = (conf.oslo_messaging_notifications.transport_url or
               conf.transport_url)
    parsed = oslo_messaging.TransportURL.parse(conf, url)
    if parsed.transport not in ('rabbit', 'amqp', 'kombu') or \
            not parsed.hosts:
        return None
    vhost = urllib.parse.quote(parsed.virtual_host or '', safe='')
    return ';'.join('amqp://%s:%s@%s:%d/%s' % (
        urllib.parse.quote(host.username or 'guest', safe=''),
        urllib.parse.quote(host.password or 'guest', safe=''),
        host.hostname, host.port or 5672, vhost) for host in parsed.hosts)


def _queue(conf, topic):
    arguments = {}
    if conf.oslo_messaging_rabbit.rabbit_quorum_queue:
        arguments['x-queue-type'] = 'quorum'
    name = queue_name(topic)
    return kombu.Queue(name, exchange=kombu.Exchange(''), routing_key=name,
                       durable=True, auto_delete=False,
                       queue_arguments=arguments or None)


def _connection(url):
    return kombu.Connection(url, transport_options={'confirm_publish': True},
                            connect_timeout=10)


class DeadLetters:
    """Sends refused notifications of one topic to ``<topic>.dlq``.

    :param url: the broker's kombu URL (:func:`broker_url`); None keeps
                nothing and only logs (the in-process ``fake://`` bus).
    """

    def __init__(self, conf, url, topic, max_retries=5):
        self.topic = topic
        self._url = url
        self._queue = _queue(conf, topic)
        self._max_retries = max_retries
        self._lock = threading.Lock()
        self._connection = None

    def send(self, message, priority, reason):
        """Dead-letter ``message``; raises when the broker did not take
        it, so that the caller requeues rather than loses it."""
        event_type = message.get('event_type')
        message_id = (message.get('metadata') or {}).get('message_id')
        LOG.warning('Dead-lettering %s notification %s of %s to %s: %s',
                    event_type, message_id, message.get('publisher_id'),
                    self._queue.name, reason)
        if self._url is not None:
            letter = {
                'topic': self.topic,
                'priority': priority,
                'reason': reason,
                'dead_lettered_at': datetime.datetime.now(
                    datetime.UTC).isoformat(),
                'message': {key: message.get(key) for key in _MESSAGE_KEYS},
            }
            body = json.dumps(letter, default=repr)
            with self._lock:
                if self._connection is None:
                    self._connection = _connection(self._url)
                producer = self._connection.Producer()
                publish = self._connection.ensure(
                    producer, producer.publish,
                    max_retries=self._max_retries)
                publish(body, routing_key=self._queue.name,
                        exchange='', declare=[self._queue],
                        delivery_mode=2, content_type='application/json',
                        content_encoding='utf-8')
        prometheus.dead_lettered(self.topic)

    def close(self):
        with self._lock:
            if self._connection is not None:
                self._connection.release()
                self._connection = None


def refuse(dead_letters, message, priority, reason):
    """Dead-letter ``message`` with ``reason``, or log that it is dropped
    when there is no dead-letter queue (``dead_letters`` is None).

    :returns: False when the broker did not take it; the caller then
        requeues, and what it already stored is skipped on redelivery.
    """
    if dead_letters is None:
        LOG.warning('Dropping %s notification from %s: %s',
                    message.get('event_type'), message.get('publisher_id'),
                    reason)
        return True
    try:
        dead_letters.send(message, priority, reason)
    except Exception as error:
        LOG.warning('Could not dead-letter a notification (%s); requeueing',
                    normalise.first_line(error))
        return False
    return True


def read(conf, url, topic, limit=None, handle=None):
    """The dead letters of ``topic``, oldest first, as dicts.

    Without ``handle`` nothing is taken off the queue. With it, each
    letter is passed to ``handle(letter)`` and removed from the queue once
    that returns; a letter whose handling raises stays. Returns the
    letters read.
    """
    letters = []
    with _connection(url) as connection:
        channel = connection.channel()
        queue = _queue(conf, topic)(channel)
        queue.declare()
        # what is on the queue now: a replayed letter refused again comes
        # back behind them and is not read twice
        _, waiting, _ = queue.queue_declare(passive=True)
        if limit is not None:
            waiting = min(waiting, limit)
        while len(letters) < waiting:
            raw = queue.get(no_ack=False)
            if raw is None:
                break
            letter = json.loads(raw.body)
            letters.append(letter)
            if handle is not None:
                try:
                    handle(letter)
                except Exception:
                    raw.requeue()
                    raise
                raw.ack()
        # unacknowledged letters go back to the queue, in their order,
        # when the channel closes
        channel.close()
    return letters


class Replayer:
    """Puts dead letters back on the agents' own queue of their topic
    (``<pool>.<topic>``), through the default exchange: only the agents
    receive them again, not every consumer of the topic, and each keeps
    its first message id, so what the store already counted is skipped.
    """

    def __init__(self, url, pool):
        self._connection = _connection(url)
        self._pool = pool
        self._checked = set()

    def __call__(self, letter):
        queue = '%s.%s' % (self._pool, letter['topic'])
        channel = self._connection.default_channel
        if queue not in self._checked:
            # passive: a queue no agent declared yet would drop the letter
            channel.queue_declare(queue=queue, passive=True)
            self._checked.add(queue)
        message = letter['message']
        metadata = message.get('metadata') or {}
        # oslo.messaging's notification envelope (version 2.0)
        body = {
            'message_id': metadata.get('message_id') or uuid.uuid4().hex,
            'publisher_id': message.get('publisher_id'),
            'event_type': message.get('event_type'),
            'priority': (letter.get('priority') or 'info').upper(),
            'payload': message.get('payload'),
            'timestamp': metadata.get('timestamp'),
            '_unique_id': uuid.uuid4().hex,
        }
        context = message.get('ctxt')
        if isinstance(context, dict):
            body.update(('_context_%s' % key, value)
                        for key, value in context.items())
        producer = self._connection.Producer(channel)
        producer.publish(
            {'oslo.version': '2.0', 'oslo.message': json.dumps(body)},
            exchange='', routing_key=queue, serializer='json',
            delivery_mode=2)

    def close(self):
        self._connection.release()
