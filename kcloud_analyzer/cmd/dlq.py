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
"""``kcloud-analyzer-manage dlq``: inspect and replay dead letters.

::

    kcloud-analyzer-manage dlq list [--topic T] [--limit N] [--format F]
    kcloud-analyzer-manage dlq replay [--topic T] [--limit N]

``list`` prints the notifications the agents dead-lettered (``<topic>.dlq``
for every topic of ``[notification] topics``, or ``--topic``), oldest
first, with the reason; it leaves them on the queue. ``replay`` sends each
one again on its topic with its first message id (so nothing the store
already counted is counted twice) and removes it from the dead-letter
queue. Letters go straight to the agents' queue of their topic
(``<pool>.<topic>``), so no other consumer of the topic sees them twice;
one the agent refuses again comes back with its reason. Exit status 2 when
the broker is not RabbitMQ.
"""

import json
import sys

from kcloud_analyzer.common import lazy

# Loaded when a command runs, not for --help.
rpc = lazy.load('kcloud_analyzer.common.rpc')
deadletter = lazy.load('kcloud_analyzer.metrics_collector.deadletter')


def add_parser(subparsers):
    dlq = subparsers.add_parser(
        'dlq', help='Dead-letter queues: notifications the agents refused.')
    actions = dlq.add_subparsers(title='dlq commands', dest='action')
    actions.required = True
    for name, function, text in (
            ('list', list_command,
             'Print the dead letters with their reasons; keep them.'),
            ('replay', replay_command,
             'Send the dead letters again to the agents and remove them '
             'from the dead-letter queue.')):
        parser = actions.add_parser(name, help=text)
        parser.add_argument('--topic', action='append', default=None,
                            help='Topic whose dead letters to read '
                                 '(repeatable; default: every topic of '
                                 '[notification] topics).')
        parser.add_argument('--limit', type=int, default=None,
                            help='At most this many letters per topic.')
        if name == 'list':
            parser.add_argument('--format', choices=('table', 'json'),
                                default='table', help='Output format.')
        parser.set_defaults(action_fn=function)


def _setup(conf):
    transport = rpc.get_transport(conf)
    url = deadletter.broker_url(conf)
    if url is None:
        sys.stderr.write('dlq: the notification transport is not RabbitMQ; '
                         'there are no dead-letter queues\n')
        return transport, None
    return transport, url


def _topics(conf):
    return conf.category.topic or conf.notification.topics


def _row(letter):
    message = letter.get('message') or {}
    return {
        'topic': letter.get('topic'),
        'message_id': (message.get('metadata') or {}).get('message_id'),
        'event_type': message.get('event_type'),
        'publisher_id': message.get('publisher_id'),
        'dead_lettered_at': letter.get('dead_lettered_at'),
        'reason': letter.get('reason'),
    }


def list_command(conf):
    transport, url = _setup(conf)
    try:
        if url is None:
            return 2
        rows = []
        for topic in _topics(conf):
            rows += [_row(letter) for letter in deadletter.read(
                conf, url, topic, limit=conf.category.limit)]
    finally:
        transport.cleanup()
    if conf.category.format == 'json':
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print('%(topic)s\t%(message_id)s\t%(event_type)s\t'
              '%(publisher_id)s\t%(dead_lettered_at)s\t%(reason)s' % row)
    print('%d dead letters' % len(rows), file=sys.stderr)
    return 0


def replay_command(conf):
    transport, url = _setup(conf)
    try:
        if url is None:
            return 2
        replayer = deadletter.Replayer(url, conf.notification.pool)
        total = 0
        try:
            for topic in _topics(conf):
                total += len(deadletter.read(
                    conf, url, topic, limit=conf.category.limit,
                    handle=replayer))
        finally:
            replayer.close()
    finally:
        transport.cleanup()
    print('%d dead letters replayed' % total)
    return 0
