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
"""Host power from BMCs over IPMI (pyghmi).

Each BMC of ``[ipmi_collector] bmcs_file`` is a target. A poll reads the
DCMI power reading (netfn 0x2c, command 0x02) and, when the BMC does not
implement DCMI, the power sensors of its sensor repository (a sensor
named as the total is preferred to the sum of the supplies, as for
Ironic's sensor data). The host power is split evenly over the instances
listed for the BMC.
"""

import threading

from oslo_log import log as logging
import pandas as pd
from pyghmi import exceptions as pyghmi_exc
from pyghmi.ipmi import command as ipmi_command
import yaml

from kcloud_analyzer.common import metrics as m
from kcloud_analyzer.metrics_collector.collectors import base
from kcloud_analyzer.metrics_collector import normalise
from kcloud_analyzer.metrics_collector import notifications

LOG = logging.getLogger(__name__)


def load_bmcs(path):
    """The BMC list of a bmcs file, keyed by name."""
    with open(path) as stream:
        entries = yaml.safe_load(stream) or []
    bmcs = {}
    for entry in entries:
        name = str(entry.get('name') or entry['address'])
        bmcs[name] = {
            'address': entry['address'],
            'port': int(entry.get('port', 623)),
            'username': entry.get('username', ''),
            'password': entry.get('password', ''),
            'instances': [str(i) for i in entry.get('instances') or []],
        }
    return bmcs


class IPMICollector(base.Collector):
    name = 'ipmi'

    def __init__(self, conf):
        super().__init__(conf)
        group = conf.ipmi_collector
        self.bmcs = load_bmcs(group.bmcs_file)
        self.timeout = group.timeout
        self.read_sensors = group.read_sensors
        # pyghmi keeps module-level session state; one poll at a time
        self._lock = threading.Lock()

    def targets(self):
        return sorted(self.bmcs)

    def _connect(self, bmc):
        return ipmi_command.Command(
            bmc=bmc['address'], userid=bmc['username'],
            password=bmc['password'], port=bmc['port'], keepalive=False)

    def read_power(self, name):
        """Host watts of one BMC: DCMI first, then the power sensors."""
        bmc = self.bmcs[name]
        session = self._connect(bmc)
        try:
            try:
                return float(session.get_system_power_watts())
            except pyghmi_exc.IpmiException as error:
                if not self.read_sensors:
                    raise
                LOG.debug('BMC %s has no DCMI power reading (%s); reading '
                          'its sensors', name, error)
            readings = []
            for reading in session.get_sensor_data():
                metric = normalise.ipmi_metric(reading.units)
                if metric and reading.value is not None:
                    readings.append((reading.name, metric, reading.value))
            power = notifications.host_power(readings).get(m.POWER_WATTS)
            if power is None:
                raise pyghmi_exc.IpmiException(
                    'BMC %s reports no power reading' % name)
            return power
        finally:
            session.ipmi_session.logout()

    def poll(self, targets, now):
        rows = []
        with self._lock:
            for name in targets:
                try:
                    watts = self.read_power(name)
                except Exception as error:
                    LOG.warning('Could not read the power of BMC %s: %s',
                                name, error)
                    continue
                instances = self.bmcs[name]['instances'] or [name]
                share = watts / len(instances)
                rows += [(name, instance, m.POWER_WATTS, now, share)
                         for instance in instances]
        samples = pd.DataFrame(rows, columns=['bmc', 'resource_id', 'metric',
                                              'timestamp', 'value'])
        slot = int(now // self.conf.collection_interval)
        return base.with_poll_ids(samples, self.name, 'bmc', slot)
