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
import oslo_messaging

from kcloud_analyzer.metrics_collector import notifications
from kcloud_analyzer.metrics_collector import nova
from tests.unit.metrics_collector.conftest import notification
from tests.unit.metrics_collector.test_notifications import _ingestor
from tests.unit.metrics_collector.test_notifications import _rollups
from tests.unit.metrics_collector.test_notifications import ceilometer_sample

HANDLED = oslo_messaging.NotificationResult.HANDLED


def nova_payload(instance_id, flavor_specs=None, metadata=None, vcpus=8,
                 memory_mb=65536):
    flavor = {'nova_object.name': 'FlavorPayload', 'nova_object.data': {
        'name': 'g1', 'vcpus': vcpus, 'memory_mb': memory_mb,
        'extra_specs': flavor_specs or {}}}
    return {'nova_object.name': 'InstanceCreatePayload', 'nova_object.data': {
        'uuid': instance_id, 'tenant_id': 'proj-1', 'display_name': 'train-0',
        'state': 'active', 'metadata': metadata or {}, 'flavor': flavor}}


def test_flavor_resources():
    assert nova.flavor_resources(
        {'name': 'g1.mixed', 'vcpus': 16, 'memory_mb': 131072,
         'extra_specs': {'pci_passthrough:alias': 'a100:2,ascend910:1'}},
        npu_aliases=['Ascend910']) == {
        'name': 'g1.mixed', 'cpu_cores': 16, 'memory_mb': 131072,
        'memory_gb': 128.0, 'gpu_count': 2, 'npu_count': 1,
        'accelerator': 'a100'}
    assert nova.flavor_resources(
        {'vcpus': 4, 'memory_mb': 8192,
         'extra_specs': {'resources:VGPU': '1'}})['gpu_count'] == 1


def test_nova_instances_make_a_workload_and_samples_follow(db, context):
    ingestor = _ingestor(db, context)
    endpoint = nova.NovaInstanceEndpoint(
        context, db, ingestor.stats, resolver=ingestor.resolver)
    specs = {'pci_passthrough:alias': 'a100:2'}
    meta = {'kcloud:workload_id': 'job-1', 'kcloud:workload_type': 'training'}
    messages = [notification('instance.create.end',
                             nova_payload(i, specs, meta))
                for i in ('i-1', 'i-2')]
    messages.insert(1, notification('instance.create.end', {'junk': 1}))
    assert endpoint.info(messages) == HANDLED
    assert ingestor.stats.malformed == 1
    workload = db.workload_get(context, 'job-1')
    assert workload['instances'] == ['i-1', 'i-2']
    assert workload['declared_type'] == 'training'
    assert workload['resources'] == {'cpu_cores': 16, 'memory_gb': 128.0,
                                     'gpu_count': 4, 'npu_count': 0,
                                     'accelerator': 'a100'}

    # samples of either instance roll up into the workload
    ceilometer = notifications.CeilometerEndpoint(ingestor)
    ceilometer.sample([notification('metering', [
        ceilometer_sample('i-1', 'power', 100.0, '2026-01-01T00:00:00'),
        ceilometer_sample('i-2', 'power', 300.0, '2026-01-01T00:00:05')])])
    [row] = _rollups(db, context).values()
    assert (row['workload_id'], row['count'], row['mean']) == (
        'job-1', 2, 200.0)

    endpoint.info([notification('instance.delete.end', nova_payload('i-1'))])
    workload = db.workload_get(context, 'job-1')
    assert workload['instances'] == ['i-2']
    assert workload['status'] == 'active'
    endpoint.info([notification('instance.delete.end', nova_payload('i-2'))])
    assert db.workload_get(context, 'job-1')['status'] == 'deleted'


def test_nova_instance_without_group_is_its_own_workload(db, context):
    ingestor = _ingestor(db, context)
    endpoint = nova.NovaInstanceEndpoint(context, db, ingestor.stats)
    endpoint.info([notification('instance.update', nova_payload('i-7'))])
    workload = db.workload_get(context, 'i-7')
    assert workload['name'] == 'train-0'
    assert workload['resources']['cpu_cores'] == 8
    assert workload['resources']['memory_gb'] == 64.0
