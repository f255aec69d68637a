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
"""Ceilometer's own notification agent (from its virtualenv,
tools/ci/setup-ceilometer.sh) on the real RabbitMQ, publishing through
``notifier://`` with a telemetry secret; the analyzer's endpoints store
what it published.

The agent is fed what the producers send: a ``telemetry.polling`` cycle
built and signed by Ceilometer's own polling code, Nova's legacy
``compute.instance.create.end`` (Ceilometer's own test payload), Cinder's
``volume.create.end`` / ``volume.attach.end`` and Neutron's ``l3.meter``
(the fields ``cinder/volume/volume_utils.py::_usage_from_volume`` and
``neutron/services/metering/agents/metering_agent.py`` put in them) and
Ironic's ``hardware.ipmi.metrics`` (producers/ironic/SOURCE.md), each on
its service's exchange.
"""

import datetime
import json
import os
import threading
import uuid

import oslo_messaging
import pytest

from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.common import metrics as m
from kcloud_analyzer.common import rpc
from kcloud_analyzer.metrics_collector import ingest
from kcloud_analyzer.metrics_collector import notifications
from tests.functional.collector import producers
from tests.functional.collector import services

CEILOMETER_VENV = os.environ.get(
    'CEILOMETER_VENV', str(services.REPO / '.ci-venvs' / 'ceilometer'))
SECRET = 'functional-ceilometer-secret'

INSTANCE = str(uuid.uuid4())
VOLUME = str(uuid.uuid4())
PROJECT = '7c150a59fe714e6f9263774af9688f0e'
USER = '1e3ce043029547f1a61c1996d1a531a2'
FLAVOR = {'id': '2', 'name': 'g1.large', 'vcpus': 2, 'ram': 4096,
          'disk': 40, 'ephemeral': 0}
T0 = datetime.datetime(2026, 3, 3, 10, 0, 10)
T1 = T0 + datetime.timedelta(seconds=60)


class _Capture:
    """A listener of its own pool on the analyzer's topic: it sees every
    sample Ceilometer published, exactly as it went on the wire."""

    def __init__(self):
        self.samples = []
        self.message_ids = set()
        self.lock = threading.Lock()

    def sample(self, ctxt, publisher_id, event_type, payload, metadata):
        with self.lock:
            self.samples.extend(payload)
            self.message_ids.add(metadata['message_id'])


def _polling_cycle(folder, when, cpu_ns, memory_mb, rx_bytes, read_bytes):
    """One cycle of the compute pollsters for INSTANCE, as a file for
    ceilometer_polling.py."""
    cycle = {
        'instance': {
            'id': INSTANCE, 'name': 'trainer-0', 'host_id': 'h-1',
            'flavor': FLAVOR, 'image': str(uuid.uuid4()),
            'project_id': PROJECT, 'user_id': USER,
            'libvirt_name': 'instance-00000001', 'host': 'compute-1',
            'metadata': {'kcloud:workload_type': 'training'}},
        'samples': [
            {'name': 'cpu', 'type': 'cumulative', 'unit': 'ns',
             'volume': cpu_ns, 'timestamp': when.isoformat()},
            {'name': 'memory.usage', 'type': 'gauge', 'unit': 'MB',
             'volume': memory_mb, 'timestamp': when.isoformat()},
            {'name': 'network.incoming.bytes', 'type': 'cumulative',
             'unit': 'B', 'volume': rx_bytes, 'timestamp': when.isoformat(),
             'device': 'tap1b2c3d4e-5f'},
            {'name': 'disk.device.read.bytes', 'type': 'cumulative',
             'unit': 'B', 'volume': read_bytes,
             'timestamp': when.isoformat(), 'device': 'vda'},
        ]}
    path = folder / ('cycle-%s.json' % when.strftime('%H%M%S'))
    path.write_text(json.dumps(cycle))
    return str(path)


@pytest.fixture
def ceilometer(tmp_path, rabbit_url, broker):
    """ceilometer-agent-notification listening on a topic of this test
    and publishing to another; yields (config, input topic, output
    topic). Removes every queue the test declared (and ``broker`` the
    exchanges left unused)."""
    python = os.path.join(CEILOMETER_VENV, 'bin', 'python')
    assert os.path.exists(python), (
        'Ceilometer is not installed; run tools/ci/setup-ceilometer.sh')
    token = uuid.uuid4().hex[:10]
    feed, out = 'kca-ceilo-in-%s' % token, 'kca-ceilo-out-%s' % token
    pipeline = tmp_path / 'pipeline.yaml'
    pipeline.write_text(
        '---\nsources:\n  - name: meter_source\n    meters: ["*"]\n'
        '    sinks: [meter_sink]\nsinks:\n  - name: meter_sink\n'
        '    publishers:\n      - notifier://?topic=%s\n' % out)
    config = tmp_path / 'ceilometer.conf'
    config.write_text(
        '[DEFAULT]\ntransport_url = %s\npipeline_cfg_file = %s\n'
        '[oslo_messaging_notifications]\ntopics = %s\n'
        '[publisher]\ntelemetry_secret = %s\n'
        '[notification]\nworkers = 1\npipelines = meter\n'
        % (rabbit_url, pipeline, feed, SECRET))
    queues = ['%s.%s' % (feed, p) for p in services.PRIORITIES]
    log = open(tmp_path / 'agent.log', 'w')
    try:
        with services.process(
                [os.path.join(CEILOMETER_VENV, 'bin',
                              'ceilometer-agent-notification'),
                 '--config-file', str(config)],
                ready=lambda: services.queues_exist(rabbit_url, queues),
                timeout=60, stdout=log):
            yield config, feed, out
    finally:
        log.close()
        queues += [out + '.sample', out + '.info', 'kca-ceilo-' + token,
                   'kca-capture-' + token]
        services.delete_queues(rabbit_url, queues)
        assert not [q for q in queues
                    if services.queues_exist(rabbit_url, [q])]


def test_ceilometer_samples_stored_as_published(db, rabbit_url, ceilometer,
                                                tmp_path):
    config, feed, out = ceilometer
    token = out.rsplit('-', 1)[1]
    conf = services.make_conf({('notification', 'telemetry_secret'): SECRET})
    context = kcontext.get_admin_context()
    transport = rpc.get_transport(conf, url=rabbit_url)
    ingestor = ingest.Ingestor(context, 300, db=db)
    endpoints = notifications.endpoints(
        ingestor, context, db,
        telemetry_secret=conf.notification.telemetry_secret)
    # the agent's listener as configured: the default exchanges
    listener = rpc.get_batch_listener(
        transport, [out], endpoints, pool='kca-ceilo-' + token,
        batch_size=50, batch_timeout=1,
        exchanges=conf.notification.exchanges)
    capture = _Capture()
    capturer = oslo_messaging.get_notification_listener(
        transport, [oslo_messaging.Target(topic=out, exchange='ceilometer')],
        [capture], executor='threading', pool='kca-capture-' + token)
    transports = {name: services.exchange_transport(rabbit_url, name)
                  for name in ('nova', 'cinder', 'neutron', 'ironic')}
    listener.start()
    capturer.start()
    try:
        _feed(transports, feed, config, tmp_path)
        expected_meters = {
            'cpu', 'memory.usage', 'network.incoming.bytes',
            'disk.device.read.bytes', 'memory', 'vcpus', 'disk.root.size',
            'disk.ephemeral.size', 'compute.instance.booting.time',
            'volume.size', 'bandwidth', 'hardware.ipmi.temperature',
            'hardware.ipmi.current', 'hardware.ipmi.fan',
            'hardware.ipmi.voltage'}
        services.wait_for(
            lambda: {s['counter_name'] for s in capture.samples} >=
            expected_meters, 60, what='Ceilometer to publish every meter')
        services.wait_for(
            lambda: ingestor.stats.messages + ingestor.stats.malformed >=
            len(capture.message_ids), 30,
            what='the analyzer to take every published message')
        published = list(capture.samples)
        _check(db, context, ingestor, published)
        _forged_sample_refused(db, context, ingestor, published, rabbit_url,
                               out)
        _ironic_power_straight_from_ironic(db, context, transports['ironic'],
                                           out)
    finally:
        capturer.stop()
        capturer.wait()
        listener.stop()
        listener.wait()
        for extra in transports.values():
            extra.cleanup()
        transport.cleanup()


def _feed(transports, feed, config, folder):
    """Everything the producers send, on their own exchanges."""
    # ceilometer-polling, two cycles a minute apart
    services.run([os.path.join(CEILOMETER_VENV, 'bin', 'python'),
                  str(services.HERE / 'ceilometer_polling.py'), str(config),
                  _polling_cycle(folder, T0, 4.0e12, 2048.0, 1.0e6, 5.0e6),
                  _polling_cycle(folder, T1, 4.0e12 + 60e9, 3072.0,
                                 1.0e6 + 6.0e6, 5.0e6 + 1.2e7)],
                 timeout=120)
    nova = producers.json_text('ceilometer',
                               'compute-instance-create-end.json')
    nova['payload']['instance_id'] = INSTANCE
    rpc.get_notifier(transports['nova'], nova['publisher_id'],
                     [feed]).info(nova['context'], nova['event_type'],
                                  nova['payload'])
    cinder = rpc.get_notifier(transports['cinder'], 'volume.cinder-1',
                              [feed])
    volume = {
        'tenant_id': PROJECT, 'host': 'cinder-1@lvm#lvm', 'user_id': USER,
        'availability_zone': 'nova', 'volume_id': VOLUME,
        'volume_type': str(uuid.uuid4()), 'display_name': 'dataset',
        'launched_at': T0.isoformat(), 'created_at': T0.isoformat(),
        'status': 'available', 'snapshot_id': None, 'size': 500,
        'replication_status': None, 'replication_extended_status': None,
        'replication_driver_data': None, 'metadata': [],
        'volume_attachment': []}
    cinder.info({}, 'volume.create.end', volume)
    attached = dict(volume, status='in-use', volume_attachment=[{
        'id': str(uuid.uuid4()), 'volume_id': VOLUME,
        'instance_uuid': INSTANCE, 'attached_host': None,
        'mountpoint': '/dev/vdb', 'attach_time': T1.isoformat(),
        'detach_time': None, 'attach_status': 'attached',
        'attach_mode': 'rw'}])
    cinder.info({}, 'volume.attach.end', attached)
    rpc.get_notifier(transports['neutron'], 'metering.agent-1',
                     [feed]).info({}, 'l3.meter', {
                         'label_id': str(uuid.uuid4()), 'tenant_id': PROJECT,
                         'pkts': 1200, 'bytes': 1048576, 'time': 30,
                         'first_update': 1772532000,
                         'last_update': 1772532030, 'host': 'network-1'})
    ironic = producers.json_text('ironic', 'hardware-ipmi-metrics.json')
    rpc.get_notifier(transports['ironic'], 'ironic-conductor.host-1',
                     [feed]).info({}, 'hardware.ipmi.metrics', ironic)


def _check(db, context, ingestor, published):
    # every signature real Ceilometer made verifies with the shared secret
    assert all(notifications.verify_signature(s, SECRET) for s in published)
    assert ingestor.stats.bad_signature == 0
    assert ingestor.stats.malformed == 0
    by_name = {}
    for sample in published:
        by_name.setdefault(sample['counter_name'], []).append(sample)

    def volumes(name):
        return sorted((s['timestamp'], s['counter_volume'])
                      for s in by_name[name])

    # what the analyzer must have derived from the published values
    [(_, cpu0), (_, cpu1)] = volumes('cpu')
    [(_, rx0), (_, rx1)] = volumes('network.incoming.bytes')
    [(_, rd0), (_, rd1)] = volumes('disk.device.read.bytes')
    memory = [v for _, v in volumes('memory.usage')]
    ram = by_name['memory.usage'][0]['resource_metadata']['flavor']['ram']
    vcpus = by_name['cpu'][0]['resource_metadata']['vcpus']
    seconds = (T1 - T0).total_seconds()
    expected = {
        m.CPU_UTILIZATION: [(cpu1 - cpu0) / seconds / 1e9 * 100 / vcpus],
        m.MEMORY_UTILIZATION: [v / ram * 100 for v in memory],
        m.NETWORK_RX_BYTES_PER_S: [(rx1 - rx0) / seconds],
        m.DISK_READ_BYTES_PER_S: [(rd1 - rd0) / seconds],
    }
    services.wait_for(
        lambda: len(db.rollup_list(context, workload_id=INSTANCE)) >=
        len(expected), 20, what='the instance rollups')
    rollups = {r['metric']: r
               for r in db.rollup_list(context, workload_id=INSTANCE)}
    assert set(rollups) == set(expected)
    for metric, values in expected.items():
        row = rollups[metric]
        assert row['count'] == len(values), metric
        assert row['mean'] == pytest.approx(sum(values) / len(values)), \
            metric
        assert row['window_start'] == datetime.datetime(2026, 3, 3, 10, 0)
    # Cinder's attachments carry instance_uuid, but Ceilometer's meter
    # definition reads volume_attachment[0].server_id: the published
    # volume.size knows no instance, so the volume is its own resource
    sizes = by_name['volume.size']
    assert {s['resource_metadata'].get('instance_id') for s in sizes} == {
        None}
    [storage] = services.wait_for(
        lambda: db.rollup_list(context, workload_id=VOLUME), 20,
        what='the volume rollup')
    assert (storage['metric'], storage['count'], storage['mean']) == (
        m.STORAGE_GB, len(sizes), 500.0)


def _forged_sample_refused(db, context, ingestor, published, rabbit_url,
                           out):
    """A published sample with its value changed but its signature kept
    is dropped and counted; nothing stored changes."""
    before = {r['metric']: r['count']
              for r in db.rollup_list(context, workload_id=INSTANCE)}
    forged = dict(next(s for s in published
                       if s['counter_name'] == 'memory.usage'))
    forged['counter_volume'] = forged['counter_volume'] * 2
    forged['message_id'] = str(uuid.uuid4())
    transport = services.exchange_transport(rabbit_url, 'ceilometer')
    try:
        rpc.get_notifier(transport, 'telemetry.publisher.forger',
                         [out]).sample({}, 'metering', [forged])
        services.wait_for(lambda: ingestor.stats.bad_signature == 1, 20,
                          what='the forged sample to be refused')
    finally:
        transport.cleanup()
    after = {r['metric']: r['count']
             for r in db.rollup_list(context, workload_id=INSTANCE)}
    assert after == before


def _ironic_power_straight_from_ironic(db, context, transport, topic):
    """Ceilometer turns none of Ironic's power sensors into a sample
    (``hardware.ipmi.current`` skips "Pwr Consumption" and no power meter
    is registered), so the analyzer reads Ironic's notification itself."""
    ironic = producers.json_text('ironic', 'hardware-ipmi-metrics.json')
    rpc.get_notifier(transport, 'ironic-conductor.host-1', [topic]).info(
        {}, 'hardware.ipmi.metrics', ironic)
    node = ironic['instance_uuid']
    rows = services.wait_for(
        lambda: db.rollup_list(context, workload_id=node), 20,
        what='the node power from Ironic')
    # the sample files "Pwr Consumption (0x76)" under Current (160 W) and
    # again under Power (154 W): the total sensor's highest reading counts
    assert [(r['metric'], r['count'], r['mean']) for r in rows] == [
        (m.POWER_WATTS, 1, 160.0)]
    assert rows[0]['window_start'] == datetime.datetime(2017, 7, 7, 15, 50)
