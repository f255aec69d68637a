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
"""Nova's own versioned notification samples (producers/nova/SOURCE.md)
through the real RabbitMQ into the workload records in PostgreSQL."""

import datetime
import uuid

import pytest

from kcloud_analyzer.jobs import efficacy
from kcloud_analyzer.metrics_collector import nova as nova_endpoint
from tests.functional.collector import producers

#: the instance and project of every Nova sample
SAMPLE_INSTANCE = '178b0921-8f85-4257-88b6-2e743b5a975c'
SAMPLE_PROJECT = '6f70656e737461636b20342065766572'


@pytest.fixture
def nova(cloud):
    """Sends a Nova sample on Nova's exchange and waits until the agent's
    endpoint took it (``cloud`` in this folder's conftest)."""
    send, stats, context = cloud
    return (lambda sample: send('nova', sample)), stats, context


def _resources(db, context, workload_id):
    return db.workload_get(context, workload_id)['resources']


def test_nova_samples_make_and_end_the_workload(db, nova):
    send, stats, context = nova
    send(producers.nova_sample('instance-create-end'))
    record = db.workload_get(context, SAMPLE_INSTANCE)
    assert record['project_id'] == SAMPLE_PROJECT
    assert record['name'] == 'some-server'
    assert record['instances'] == [SAMPLE_INSTANCE]
    assert record['status'] == 'active'
    # FlavorPayload: 1 vCPU, 512 MB, extra spec hw:watchdog_action only
    assert record['resources'] == {
        'cpu_cores': 1, 'memory_gb': 0.5, 'gpu_count': 0, 'npu_count': 0,
        'accelerator': None}

    send(producers.nova_sample('instance-update'))
    assert _resources(db, context, SAMPLE_INSTANCE)['memory_gb'] == 0.5

    # resize to other_flavor (256 MB), revert to the old flavor, then a
    # confirmed resize to m1.small (2048 MB)
    send(producers.nova_sample('instance-resize_finish-end'))
    assert _resources(db, context, SAMPLE_INSTANCE)['memory_gb'] == 0.25
    send(producers.nova_sample('instance-resize_revert-end'))
    assert _resources(db, context, SAMPLE_INSTANCE)['memory_gb'] == 0.5
    send(producers.nova_sample('instance-resize_confirm-end'))
    assert _resources(db, context, SAMPLE_INSTANCE) == {
        'cpu_cores': 1, 'memory_gb': 2.0, 'gpu_count': 0, 'npu_count': 0,
        'accelerator': None}

    send(producers.nova_sample('instance-delete-end'))
    record = db.workload_get(context, SAMPLE_INSTANCE)
    assert record['status'] == 'deleted'
    assert record['instances'] == []
    # the time Nova gives, not the time the notification arrived
    assert record['ended_at'] == datetime.datetime(2012, 10, 29, 13, 42, 11)
    assert stats.malformed == 0 and stats.messages == 6


def test_accelerator_flavors_in_nova_samples(db, nova):
    """Nova's instance.create.end sample with the extra specs Nova's own
    validators define for PCI passthrough and for vGPUs in granular
    request groups, two instances of one workload."""
    send, stats, context = nova
    workload = 'job-%s' % uuid.uuid4().hex[:8]
    gpu_instance, vgpu_instance = str(uuid.uuid4()), str(uuid.uuid4())
    metadata = {'kcloud:workload_id': workload,
                'kcloud:workload_type': 'training'}
    send(producers.nova_sample('instance-create-end', {
        'uuid': gpu_instance, 'metadata': metadata,
        'flavor': {'nova_object.data': {
            'vcpus': 16, 'memory_mb': 131072, 'extra_specs': {
                'pci_passthrough:alias': 'a100:2, ascend910:1'}}}}))
    send(producers.nova_sample('instance-create-end', {
        'uuid': vgpu_instance, 'metadata': metadata,
        'flavor': {'nova_object.data': {
            'vcpus': 8, 'memory_mb': 32768, 'extra_specs': {
                'resources1:VGPU': '1', 'resources:VCPU': '8'}}}}))
    record = db.workload_get(context, workload)
    assert sorted(record['instances']) == sorted([gpu_instance,
                                                  vgpu_instance])
    assert record['declared_type'] == 'training'
    assert record['name'] == workload
    assert record['resources'] == {
        'cpu_cores': 24, 'memory_gb': 160.0, 'gpu_count': 3,
        'npu_count': 1, 'accelerator': 'a100'}
    assert record['accelerator'] == 'a100'
    assert stats.malformed == 0


@pytest.mark.parametrize('name', ['flavor-create', 'flavor-update'])
def test_nova_flavor_samples_parse(name):
    """The FlavorPayload of Nova's flavor notifications (extra_specs null,
    or hw:numa_nodes only) gives the flavor's size and no accelerator."""
    flavor = producers.nova_sample(name)['payload']['nova_object.data']
    resources = nova_endpoint.flavor_resources(flavor)
    assert resources == {
        'name': flavor['name'], 'cpu_cores': flavor['vcpus'],
        'memory_mb': flavor['memory_mb'],
        'memory_gb': flavor['memory_mb'] / 1024.0, 'gpu_count': 0,
        'npu_count': 0, 'accelerator': None}


def _states(db, context, instance):
    return {r['kind']: (r['state'], r['applied_change'])
            for r in db.recommendation_list(context, workload_id=instance)}


def test_nova_samples_apply_recommendations_and_realise_them(db, nova):
    """Resize, revert, confirmed resize and delete samples mark the
    workload's recommendations applied (and open again on the revert);
    the cost job then records what the confirmed resize realised."""
    send, stats, context = nova
    # an instance of its own: the other tests end the samples' one
    instance = str(uuid.uuid4())

    def sample(name):
        return producers.nova_sample(name, {'uuid': instance})

    send(sample('instance-create-end'))
    db.recommendations_replace(context, instance, [{
        'project_id': SAMPLE_PROJECT, 'kind': kind, 'action': 'act',
        'monthly_saving': saving, 'currency': 'EUR', 'confidence': 0.9,
        'evidence': {}} for kind, saving in (('oversized_compute', 50.0),
                                             ('idle_accelerator', 80.0))])
    send(sample('instance-resize_finish-end'))
    assert _states(db, context, instance)['oversized_compute'] == (
        'applied', 'resize')
    send(sample('instance-resize_revert-end'))
    assert _states(db, context, instance)['oversized_compute'] == (
        'open', None)
    sent = datetime.datetime.utcnow()
    send(sample('instance-resize_confirm-end'))
    assert _states(db, context, instance) == {
        'oversized_compute': ('applied', 'resize'),
        'idle_accelerator': ('open', None)}
    [applied] = db.recommendation_list(context, state='applied',
                                       workload_id=instance)
    # the time the notification was sent
    assert abs(applied['applied_at'] - sent) < datetime.timedelta(
        seconds=30)

    # a day of cost records on each side of the hour of the change and
    # the hour before it
    changed = applied['applied_at'].replace(minute=0, second=0,
                                            microsecond=0)
    hour = datetime.timedelta(hours=1)
    db.cost_records_upsert(context, [{
        'workload_id': instance, 'project_id': SAMPLE_PROJECT,
        'hour': changed + i * hour, 'basis': 'allocation',
        'currency': 'EUR', 'workload_type': 'inference', 'compute': total,
        'gpu': 0, 'npu': 0, 'storage': 0, 'network': 0, 'energy': 0,
        'idle': 0, 'total': total, 'energy_kwh': kwh, 'carbon_kg': 0}
        for i, total, kwh in [(i, 0.12, 0.05) for i in range(-25, -1)] +
        [(i, 0.05, 0.02) for i in range(1, 25)]])
    assert efficacy.realise(context, now=changed + 25 * hour) == 1
    [applied] = db.recommendation_list(context, state='applied',
                                       workload_id=instance)
    assert float(applied['realised_monthly_saving']) == pytest.approx(
        (0.12 - 0.05) * 730)
    assert applied['realised_monthly_kwh'] == pytest.approx(
        (0.05 - 0.02) * 730)

    send(sample('instance-delete-end'))
    assert _states(db, context, instance)['idle_accelerator'] == (
        'applied', 'delete')
    applied = {r['kind']: r for r in db.recommendation_list(
        context, state='applied', workload_id=instance)}
    assert applied['idle_accelerator']['applied_at'] == datetime.datetime(
        2012, 10, 29, 13, 42, 11)
    assert stats.malformed == 0
