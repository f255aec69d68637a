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
import datetime

import oslo_messaging

from kcloud_analyzer.jobs import frames
from kcloud_analyzer.metrics_collector import notifications
from kcloud_analyzer.metrics_collector import nova
from kcloud_analyzer.workload_analyzer import evidence as evidence_lib
from tests.functional.collector import producers
from tests.unit.metrics_collector.conftest import notification
from tests.unit.metrics_collector.test_notifications import _ingestor
from tests.unit.metrics_collector.test_notifications import _rollups
from tests.unit.metrics_collector.test_notifications import ceilometer_sample

HANDLED = oslo_messaging.NotificationResult.HANDLED

#: the instance of Nova's notification samples (producers/nova/SOURCE.md)
SAMPLE_INSTANCE = '178b0921-8f85-4257-88b6-2e743b5a975c'


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


def _sample(name, overrides=None):
    sample = producers.nova_sample(name, overrides)
    return notification(sample['event_type'], sample['payload'])


def test_nova_samples_records_reach_the_classifier(db, context):
    """Nova's own instance.create.end and instance.update samples: the
    image, tags, metadata and creation time are kept on the workload and
    handed to the classifier as evidence."""
    ingestor = _ingestor(db, context)
    endpoint = nova.NovaInstanceEndpoint(context, db, ingestor.stats)
    create = _sample('instance-create-end', {
        'metadata': {'app': 'vllm', 'kcloud:workload_type': 'nonsense'}})
    assert endpoint.info([create]) == HANDLED
    workload = db.workload_get(context, SAMPLE_INSTANCE)
    # InstanceCreatePayload: image_uuid, tags ["tag"], created_at
    assert workload['records'] == {
        'image': '155d900f-4e14-4e4c-a73d-069cbf4541e6', 'tags': ['tag'],
        'metadata': {'app': 'vllm'}, 'created_at': '2012-10-29T13:42:11',
        # the Neutron port of its address; no floating IP points to it
        'ports': ['ce531f90-199f-48c0-816c-13e38010b442'],
        'network_exposed': False}
    # an invalid declared type is no declared type
    assert workload['declared_type'] is None

    frame = frames.workload_frame(
        [workload], now=datetime.datetime(2012, 10, 29, 20, 0))
    records = frames.records(frame)
    assert records['tags'].tolist() == [['tag']]
    assert records['lifecycle'].tolist() == [None]
    log_odds, evidence = evidence_lib.record_log_odds(records, 1)
    assert evidence[0] == [{'source': 'metadata', 'value': 'app vllm',
                            'points_to': 'serving'}]
    assert log_odds[0].tolist() == [0.0, 0.0, evidence_lib.HINT_LOG_ODDS]
    # 12 h after Nova created it, the instance is a long-running one
    later = frames.workload_frame(
        [workload], now=datetime.datetime(2012, 10, 30, 1, 42, 11))
    assert later['lifecycle'].tolist() == ['long_running']

    # InstanceUpdatePayload: the tags were removed, the metadata too
    assert endpoint.info([_sample('instance-update')]) == HANDLED
    workload = db.workload_get(context, SAMPLE_INSTANCE)
    assert workload['records']['tags'] == []
    assert workload['records']['metadata'] == {}
    assert ingestor.stats.malformed == 0


def test_records_of_a_group_are_merged_and_flavor_declares(db, context):
    ingestor = _ingestor(db, context)
    endpoint = nova.NovaInstanceEndpoint(context, db, ingestor.stats)
    specs = {'kcloud:workload_type': 'inference'}
    messages = [
        _sample('instance-create-end', {
            'uuid': instance, 'tags': tags, 'created_at': created,
            'metadata': {'kcloud:workload_id': 'batch-7'},
            'flavor': {'nova_object.data': {'extra_specs': specs}}})
        for instance, tags, created in (
            ('i-1', ['offline', 'batch'], '2026-01-02T00:00:00Z'),
            ('i-2', ['batch'], '2026-01-01T00:00:00Z'))]
    assert endpoint.info(messages) == HANDLED
    workload = db.workload_get(context, 'batch-7')
    # the flavor's extra spec declares the type when the metadata does not
    assert workload['declared_type'] == 'inference'
    assert workload['records']['tags'] == ['batch', 'offline']
    assert workload['records']['created_at'] == '2026-01-01T00:00:00'
    # the grouping key is not kept as metadata
    assert workload['records']['metadata'] == {}
    endpoint.info([notification('instance.delete.end', nova_payload('i-2'))])
    workload = db.workload_get(context, 'batch-7')
    assert workload['instances'] == ['i-1']
    # records are merged over the live instances at the next notification
    endpoint.info([messages[0]])
    assert db.workload_get(context, 'batch-7')['records'][
        'created_at'] == '2026-01-02T00:00:00'


def test_merge_records():
    assert nova.merge_records([None, {}]) is None
    assert nova.merge_records([
        {'image': 'b', 'tags': ['x'], 'metadata': {'k': '1'}},
        {'image': 'a', 'tags': ['y', 'x'], 'metadata': {'k': '2', 'j': '3'},
         'created_at': '2026-01-01T00:00:00'}]) == {
        'image': ['a', 'b'], 'tags': ['x', 'y'],
        'metadata': {'j': '3', 'k': '1'},
        'created_at': '2026-01-01T00:00:00'}


def _advise(db, context, workload_id, *kinds):
    db.recommendations_replace(context, workload_id, [{
        'project_id': 'proj-1', 'kind': kind, 'action': 'do it',
        'monthly_saving': 100.0, 'currency': 'USD', 'confidence': 0.9,
        'evidence': {}} for kind in kinds])


def _states(db, context, workload_id):
    return {r['kind']: (r['state'], r['applied_change'])
            for r in db.recommendation_list(context,
                                            workload_id=workload_id)}


def test_flavor_change():
    small = {'name': 'm1.small', 'cpu_cores': 2, 'memory_mb': 4096,
             'gpu_count': 0, 'npu_count': 0, 'accelerator': None}
    gpus = dict(small, name='g1', gpu_count=2, accelerator='a100')
    assert nova.flavor_change(None, small) is None
    assert nova.flavor_change(small, dict(small)) is None
    assert nova.flavor_change(small, dict(small, name='m1.tiny',
                                          memory_mb=2048)) == 'resize'
    assert nova.flavor_change(gpus, dict(gpus, gpu_count=1)) == (
        'accelerators_released')
    assert nova.flavor_change(gpus, small) == 'accelerators_released'
    assert nova.flavor_change(small, gpus) == 'resize'


def test_nova_resize_revert_and_delete_apply_recommendations(db, context):
    ingestor = _ingestor(db, context)
    endpoint = nova.NovaInstanceEndpoint(context, db, ingestor.stats)
    specs = {'pci_passthrough:alias': 'a100:2'}
    endpoint.info([notification('instance.create.end',
                                nova_payload('i-9', specs))])
    _advise(db, context, 'i-9', 'oversized_compute', 'idle_accelerator',
            'off_peak_training')
    # the same flavor again changes nothing
    endpoint.info([notification('instance.update',
                                nova_payload('i-9', specs))])
    assert set(_states(db, context, 'i-9').values()) == {('open', None)}

    resized = notification('instance.resize_finish.end',
                           nova_payload('i-9', specs, vcpus=4))
    resized['metadata']['timestamp'] = '2026-03-02 10:15:00.000000'
    endpoint.info([resized])
    states = _states(db, context, 'i-9')
    assert states['oversized_compute'] == ('applied', 'resize')
    assert states['idle_accelerator'] == ('open', None)
    [applied] = db.recommendation_list(context, workload_id='i-9',
                                       state='applied')
    assert applied['applied_at'] == datetime.datetime(2026, 3, 2, 10, 15)

    # reverted: open again
    endpoint.info([notification('instance.resize_revert.end',
                                nova_payload('i-9', specs))])
    assert set(_states(db, context, 'i-9').values()) == {('open', None)}

    # the accelerators released: both sizing kinds, not the tariff one
    endpoint.info([notification('instance.resize_confirm.end',
                                nova_payload('i-9', None, vcpus=4))])
    states = _states(db, context, 'i-9')
    assert states['oversized_compute'] == ('applied',
                                           'accelerators_released')
    assert states['idle_accelerator'] == ('applied', 'accelerators_released')
    assert states['off_peak_training'] == ('open', None)
    # a new pricing run replaces only the open ones
    _advise(db, context, 'i-9', 'committed_use')
    assert _states(db, context, 'i-9') == {
        'oversized_compute': ('applied', 'accelerators_released'),
        'idle_accelerator': ('applied', 'accelerators_released'),
        'committed_use': ('open', None)}


def test_deleting_the_last_instance_applies_at_nova_time(db, context):
    ingestor = _ingestor(db, context)
    endpoint = nova.NovaInstanceEndpoint(context, db, ingestor.stats)
    meta = {'kcloud:workload_id': 'job-7'}
    endpoint.info([notification('instance.create.end',
                                nova_payload(i, metadata=meta))
                   for i in ('i-1', 'i-2')])
    _advise(db, context, 'job-7', 'idle_accelerator')
    gone = nova_payload('i-1')
    gone['nova_object.data']['deleted_at'] = '2026-03-02T11:00:00Z'
    endpoint.info([notification('instance.delete.end', gone)])
    assert _states(db, context, 'job-7') == {
        'idle_accelerator': ('open', None)}
    gone = nova_payload('i-2')
    gone['nova_object.data']['deleted_at'] = '2026-03-02T12:30:00Z'
    endpoint.info([notification('instance.delete.end', gone)])
    [item] = db.recommendation_list(context, state='applied')
    assert (item['applied_change'], item['applied_at']) == (
        'delete', datetime.datetime(2026, 3, 2, 12, 30))
