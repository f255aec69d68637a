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
"""Send one poll cycle the way ceilometer-polling does, with Ceilometer's
own code; run with the Python of Ceilometer's virtualenv:

    python ceilometer_polling.py CONFIG_FILE CYCLE_JSON...

Each CYCLE_JSON holds the pollster results of one cycle under "samples":
{"name", "type", "unit", "volume", "timestamp", "device" (a disk or an
interface, or null)}, for the instance described under "instance".
Each becomes a ``ceilometer.sample.Sample`` with the resource metadata
the compute pollsters give (``make_sample_from_instance``), is signed by
``meter_message_from_counter`` and sent as ``telemetry.polling`` on the
``ceilometer`` exchange, as ``ceilometer.polling.manager`` does.
"""

import json
import sys
import types

from ceilometer.compute.pollsters import util
from ceilometer import messaging
from ceilometer.publisher import utils as publisher_utils
from ceilometer import service
import oslo_messaging


def _instance(spec):
    instance = types.SimpleNamespace(
        id=spec['id'], name=spec['name'], hostId=spec['host_id'],
        status='ACTIVE', flavor=spec['flavor'], image={'id': spec['image']},
        metadata=spec.get('metadata', {}), tenant_id=spec['project_id'],
        user_id=spec['user_id'])
    setattr(instance, 'OS-EXT-SRV-ATTR:instance_name', spec['libvirt_name'])
    setattr(instance, 'OS-EXT-SRV-ATTR:host', spec['host'])
    setattr(instance, 'OS-EXT-STS:vm_state', 'active')
    setattr(instance, 'OS-EXT-STS:task_state', None)
    return instance


def _messages(conf, cycle):
    instance = _instance(cycle['instance'])
    messages = []
    for result in cycle['samples']:
        extra = {}
        resource_id = None
        if result.get('device'):
            # per-device meters are resources of their own (the instance
            # stays in the metadata's instance_id), as the disk and vnic
            # pollsters make them
            resource_id = '%s-%s' % (instance.id, result['device'])
            key = 'vnic_name' if result['name'].startswith(
                'network.') else 'disk_name'
            extra = {key: result['device']}
        sample = util.make_sample_from_instance(
            conf, instance, name=result['name'], type=result['type'],
            unit=result['unit'], volume=result['volume'],
            resource_id=resource_id, additional_metadata=extra)
        sample.set_timestamp(result['timestamp'])
        messages.append(publisher_utils.meter_message_from_counter(
            sample, conf.publisher.telemetry_secret))
    return messages


def main(config_file, *cycle_files):
    conf = service.prepare_service([], [config_file])
    transport = messaging.get_transport(conf)
    notifier = oslo_messaging.Notifier(
        transport, driver=conf.publisher_notifier.telemetry_driver,
        publisher_id='ceilometer.polling')
    for cycle_file in cycle_files:
        with open(cycle_file) as stream:
            cycle = json.load(stream)
        notifier.sample({}, 'telemetry.polling',
                        {'samples': _messages(conf, cycle)})
    transport.cleanup()


if __name__ == '__main__':
    main(*sys.argv[1:])
