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
"""Neutron floating IP notifications -> the instances exposed outside.

Neutron's API notifies each change of a resource on its ``neutron``
exchange, the payload being the resource as its API shows it
(``neutron/api/v2/base.py``): ``floatingip.create.end`` and
``floatingip.update.end`` carry ``{"floatingip": {...}}``,
``floatingip.delete.end`` ``{"floatingip_id": ..., "floatingip": {...}}``.
A floating IP points to a port (``port_id``, None once disassociated);
with the ``fip-port-details`` extension (Neutron since Rocky) its
``port_details`` name the port's ``device_id`` and ``device_owner``
(``compute:<zone>`` for a Nova instance). An instance is exposed when a
floating IP points to it or to one of its ports (the ``port_uuid`` of its
Nova ``ip_addresses``); the workload's records then say
``network_exposed``, evidence of serving for the classifier
(:mod:`kcloud_analyzer.workload_analyzer.evidence`).
"""

import oslo_messaging

from kcloud_analyzer.metrics_collector import nova
from kcloud_analyzer.metrics_collector import normalise

#: ports owned by a Nova instance have this ``device_owner`` prefix
COMPUTE_OWNER = 'compute:'


class NeutronFloatingIPEndpoint(nova.RecordEndpoint):
    """Neutron floating IP notifications -> ``network_exposed``."""

    filter_rule = oslo_messaging.NotificationFilter(
        event_type=r'^floatingip\.(create|update|delete)\.end$')

    SERVICE = 'Neutron'

    def _handle(self, message):
        payload = self._payload(message)
        body = payload.get('floatingip')
        if body is not None and not isinstance(body, dict):
            raise normalise.MalformedMessage(
                'floatingip is not an object')
        body = body or {}
        floatingip_id = body.get('id') or payload.get('floatingip_id')
        self._check_ids(uuid=floatingip_id)
        if message['event_type'] == 'floatingip.delete.end':
            values = None
        else:
            details = body.get('port_details')
            details = details if isinstance(details, dict) else {}
            owner = details.get('device_owner')
            device = (details.get('device_id') if isinstance(owner, str)
                      and owner.startswith(COMPUTE_OWNER) else None)
            values = {'project_id': body.get('project_id')
                      or body.get('tenant_id'),
                      'port_id': body.get('port_id'),
                      'device_id': device or None}
            for name, value in (('uuid', values['port_id']),
                                ('uuid', values['device_id']),
                                ('tenant_id', values['project_id'])):
                if value is not None:
                    self._check_ids(**{name: value})
        before = self.db.floating_ip_set(self.context, floatingip_id,
                                         values)
        # the instances it pointed to before and those it points to now
        instances = {}
        for record in (before, values):
            for instance in self.db.instances_on_ports(
                    self.context, (record or {}).get('project_id'),
                    port_ids=[(record or {}).get('port_id')],
                    instance_ids=[(record or {}).get('device_id')]):
                instances[instance['instance_id']] = instance
        nova.refresh_exposure(self.db, self.context,
                              [instances[k] for k in sorted(instances)])
