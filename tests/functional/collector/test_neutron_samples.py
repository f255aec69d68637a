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
"""Neutron's floating IP notifications (producers/neutron/SOURCE.md) and
Nova's samples through the real RabbitMQ: an instance a floating IP points
to is ``network_exposed``, evidence of serving for the classifier."""

import pytest

from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import rpc
from kcloud_analyzer.jobs import frames
from kcloud_analyzer.metrics_collector import ingest
from kcloud_analyzer.metrics_collector import notifications
from kcloud_analyzer.workload_analyzer import evidence
from tests.functional.collector import producers
from tests.functional.collector import services

#: the instance of Nova's samples and the port of its IpPayload
INSTANCE = '178b0921-8f85-4257-88b6-2e743b5a975c'
PORT = 'ce531f90-199f-48c0-816c-13e38010b442'
PROJECT = '6f70656e737461636b20342065766572'
#: the floating IP in the instance's project
OURS = {'project_id': PROJECT, 'tenant_id': PROJECT}


@pytest.fixture
def cloud(db, rabbit_url, broker):
    """Sends Nova's or Neutron's notifications, each on its service's own
    exchange, and waits until the agent's endpoints took each."""
    conf = services.make_conf()
    transport = rpc.get_transport(conf, url=rabbit_url)
    topic = broker.topic('kca-neutron')
    pool = broker.queue(topic + '-pool')
    context = kcontext.get_admin_context()
    ingestor = ingest.Ingestor(context, 300, db=db)
    listener = rpc.get_batch_listener(
        transport, [topic],
        notifications.endpoints(ingestor, context, db)[2:], pool=pool,
        batch_size=1, batch_timeout=1,
        exchanges=conf.notification.exchanges)
    listener.start()
    senders = {}
    for exchange in ('nova', 'neutron'):
        senders[exchange] = services.exchange_transport(rabbit_url,
                                                        exchange)

    def send(exchange, sample):
        handled = ingestor.stats.messages + ingestor.stats.malformed
        notifier = rpc.get_notifier(senders[exchange], 'x', [topic])
        getattr(notifier.prepare(publisher_id=sample['publisher_id']),
                sample['priority'].lower())(
            {}, sample['event_type'], sample['payload'])
        services.wait_for(
            lambda: (ingestor.stats.messages +
                     ingestor.stats.malformed) > handled,
            20, what=sample['event_type'])

    try:
        yield send, ingestor.stats, context
    finally:
        listener.stop()
        listener.wait()
        for sender in senders.values():
            sender.cleanup()
        transport.cleanup()


def _exposed(db, context):
    workload = db.workload_get(context, INSTANCE)
    row = frames.workload_frame([workload])
    log_odds, found = evidence.record_log_odds(frames.records(row), 1)
    serving = evidence.CLASSES.index('serving')
    named = [e for e in found[0] if e['source'] == 'network_exposed']
    return (workload['records'].get('network_exposed'),
            log_odds[0, serving] >= evidence.EXPOSED_LOG_ODDS,
            bool(named))


def test_a_floating_ip_on_the_instance_is_evidence_of_serving(db, cloud):
    send, stats, context = cloud
    send('nova', producers.nova_sample('instance-create-end'))
    workload = db.workload_get(context, INSTANCE)
    # the port of Nova's IpPayload is kept with the instance's records
    assert workload['records']['ports'] == [PORT]
    assert _exposed(db, context) == (False, False, False)

    # Neutron's sample associates the floating IP with a port of another
    # instance: nothing changes here
    send('neutron', producers.neutron_notification(
        'floatingip.create.end', 'floatingip-create-response'))
    assert _exposed(db, context) == (False, False, False)

    # the same floating IP moved to the instance's port, Neutron naming
    # the instance as the port's device
    send('neutron', producers.neutron_notification(
        'floatingip.update.end', 'floatingip-create-response',
        dict(OURS, port_id=PORT, port_details={
            'device_owner': 'compute:nova', 'device_id': INSTANCE})))
    assert _exposed(db, context) == (True, True, True)

    # disassociated (Neutron's own sample of it), then deleted
    send('neutron', producers.neutron_notification(
        'floatingip.update.end', 'floatingip-disassociate-response'))
    assert _exposed(db, context) == (False, False, False)
    send('neutron', producers.neutron_notification(
        'floatingip.update.end', 'floatingip-create-response',
        dict(OURS, port_id=PORT, port_details=None)))
    assert _exposed(db, context)[0] is True
    send('neutron', producers.neutron_notification(
        'floatingip.delete.end', 'floatingip-create-response',
        dict(OURS, port_id=PORT, port_details=None)))
    assert _exposed(db, context)[0] is False
    assert stats.malformed == 0 and stats.messages == 6


def test_a_floating_ip_seen_before_the_instance_counts(db, cloud):
    """Neutron's notice of the port's floating IP (older Neutron: no
    ``port_details``) arrives before Nova's of the instance."""
    send, stats, context = cloud
    send('neutron', producers.neutron_notification(
        'floatingip.create.end', 'floatingip-create-response',
        dict(OURS, port_id=PORT, port_details=None)))
    send('nova', producers.nova_sample('instance-create-end'))
    assert _exposed(db, context) == (True, True, True)
    # an update while the network is set up lists no addresses: the port
    # seen before still holds
    send('nova', producers.nova_sample('instance-update'))
    assert _exposed(db, context)[0] is True
    assert stats.malformed == 0


def test_a_malformed_floating_ip_is_counted_and_the_next_is_taken(db,
                                                                  cloud):
    send, stats, context = cloud
    send('nova', producers.nova_sample('instance-create-end'))
    bad = producers.neutron_notification(
        'floatingip.update.end', 'floatingip-create-response',
        dict(OURS, port_id=['not', 'an', 'id']))
    send('neutron', bad)
    assert stats.malformed == 1
    send('neutron', producers.neutron_notification(
        'floatingip.update.end', 'floatingip-create-response',
        dict(OURS, port_id=PORT)))
    assert _exposed(db, context)[0] is True
