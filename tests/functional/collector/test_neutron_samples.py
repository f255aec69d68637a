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

import uuid

from kcloud_analyzer.jobs import frames
from kcloud_analyzer.workload_analyzer import evidence
from tests.functional.collector import producers

#: the project of Nova's samples
PROJECT = '6f70656e737461636b20342065766572'
#: the floating IP in the instance's project
OURS = {'project_id': PROJECT, 'tenant_id': PROJECT}


def _new_instance(send):
    """Nova's instance.create.end sample for a new instance whose address
    is on a new port (the session's database is shared by the tests);
    returns their UUIDs and an id for a new floating IP."""
    instance, port = str(uuid.uuid4()), str(uuid.uuid4())
    address = producers.nova_sample('instance-create-end')['payload'][
        'nova_object.data']['ip_addresses'][0]
    address['nova_object.data']['port_uuid'] = port
    send('nova', producers.nova_sample('instance-create-end', {
        'uuid': instance, 'ip_addresses': [address]}))
    return instance, port, str(uuid.uuid4())


def _exposed(db, context, instance):
    workload = db.workload_get(context, instance)
    row = frames.workload_frame([workload])
    log_odds, found = evidence.record_log_odds(frames.records(row), 1)
    serving = evidence.CLASSES.index('serving')
    named = [e for e in found[0] if e['source'] == 'network_exposed']
    return (workload['records'].get('network_exposed'),
            log_odds[0, serving] >= evidence.EXPOSED_LOG_ODDS,
            bool(named))


def test_a_floating_ip_on_the_instance_is_evidence_of_serving(db, cloud):
    send, stats, context = cloud
    instance, port, fip = _new_instance(send)
    workload = db.workload_get(context, instance)
    # the port of its address is kept with the instance's records
    assert workload['records']['ports'] == [port]
    assert _exposed(db, context, instance) == (False, False, False)

    # Neutron's sample associates the floating IP with a port of another
    # instance: nothing changes here
    send('neutron', producers.neutron_notification(
        'floatingip.create.end', 'floatingip-create-response', {'id': fip}))
    assert _exposed(db, context, instance) == (False, False, False)

    # the same floating IP moved to the instance's port, Neutron naming
    # the instance as the port's device
    send('neutron', producers.neutron_notification(
        'floatingip.update.end', 'floatingip-create-response',
        dict(OURS, id=fip, port_id=port, port_details={
            'device_owner': 'compute:nova', 'device_id': instance})))
    assert _exposed(db, context, instance) == (True, True, True)

    # disassociated (Neutron's own sample of it), then deleted
    send('neutron', producers.neutron_notification(
        'floatingip.update.end', 'floatingip-disassociate-response',
        dict(OURS, id=fip)))
    assert _exposed(db, context, instance) == (False, False, False)
    send('neutron', producers.neutron_notification(
        'floatingip.update.end', 'floatingip-create-response',
        dict(OURS, id=fip, port_id=port, port_details=None)))
    assert _exposed(db, context, instance)[0] is True
    send('neutron', producers.neutron_notification(
        'floatingip.delete.end', 'floatingip-create-response',
        dict(OURS, id=fip, port_id=port, port_details=None)))
    assert _exposed(db, context, instance)[0] is False
    assert stats.malformed == 0 and stats.messages == 6


def test_a_floating_ip_seen_before_the_instance_counts(db, cloud):
    """Neutron's notice of the port's floating IP (older Neutron: no
    ``port_details``) arrives before Nova's of the instance."""
    send, stats, context = cloud
    instance, port = str(uuid.uuid4()), str(uuid.uuid4())
    send('neutron', producers.neutron_notification(
        'floatingip.create.end', 'floatingip-create-response',
        dict(OURS, id=str(uuid.uuid4()), port_id=port, port_details=None)))
    address = producers.nova_sample('instance-create-end')['payload'][
        'nova_object.data']['ip_addresses'][0]
    address['nova_object.data']['port_uuid'] = port
    send('nova', producers.nova_sample('instance-create-end', {
        'uuid': instance, 'ip_addresses': [address]}))
    assert _exposed(db, context, instance) == (True, True, True)
    # an update while the network is set up lists no addresses: the port
    # seen before still holds
    send('nova', producers.nova_sample('instance-update', {
        'uuid': instance}))
    assert _exposed(db, context, instance)[0] is True
    assert stats.malformed == 0


def test_a_malformed_floating_ip_is_counted_and_the_next_is_taken(db,
                                                                  cloud):
    send, stats, context = cloud
    instance, port, fip = _new_instance(send)
    send('neutron', producers.neutron_notification(
        'floatingip.update.end', 'floatingip-create-response',
        dict(OURS, id=fip, port_id=['not', 'an', 'id'])))
    assert stats.malformed == 1
    send('neutron', producers.neutron_notification(
        'floatingip.update.end', 'floatingip-create-response',
        dict(OURS, id=fip, port_id=port)))
    assert _exposed(db, context, instance)[0] is True
