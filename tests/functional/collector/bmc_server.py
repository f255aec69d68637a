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
"""An IPMI-over-LAN BMC for the functional tests: pyghmi's own server
(``pyghmi.ipmi.bmc.Bmc``) taught the DCMI power reading and a small sensor
repository with power and temperature sensors.

Run as ``python -m tests.functional.collector.bmc_server --port P
--watts W [--no-dcmi] [--sensor NAME=WATTS ...]``; it prints ``ready`` once
it listens on 127.0.0.1.
"""

import argparse
import struct
import sys

from pyghmi.ipmi import bmc
from pyghmi.ipmi.private import serversession

_SHA1 = 1
_RMCP_INVALID_AUTH_ALGORITHM = 0x11


class Sha1OnlySession(serversession.ServerSession):
    """pyghmi's server session speaks only RAKP-HMAC-SHA1 but accepts any
    offer; pyghmi's client offers SHA-256 first and then fails. Refusing
    other offers makes clients fall back to SHA-1, as a real BMC that
    lacks SHA-256 does."""

    def create_open_session_response(self, request):
        if request[12] != _SHA1:
            return bytearray([request[0], _RMCP_INVALID_AUTH_ALGORITHM, 0,
                              0]) + request[4:8]
        return super().create_open_session_response(request)


# the server creates its sessions through this module attribute
serversession.ServerSession = Sha1OnlySession

_WATTS = 6
_CELSIUS = 1
_SENSOR_TYPE_TEMPERATURE = 0x01
_SENSOR_TYPE_OTHER_UNITS = 0x0b


def full_sensor_record(record_id, number, name, sensor_type, unit, m):
    """A full sensor record (IPMI 2.0 table 43-1), linear, reading * m."""
    body = bytearray(43)
    body[0] = 0x20                 # owner: the BMC
    body[2] = number
    body[3] = 0x07                 # entity: system board
    body[6] = 0b01001000           # threshold access: readable
    body[7] = sensor_type
    body[8] = 0x01                 # threshold reading type
    body[15] = 0x00                # unsigned analog reading
    body[16] = unit
    body[19] = m & 0xff            # M, tolerance 0, B 0, exponents 0
    encoded = name.encode('ascii')
    body[42] = 0xc0 | len(encoded)
    body += encoded
    return bytearray(struct.pack('<HBBB', record_id, 0x51, 0x01,
                                 len(body))) + body


class PowerBmc(bmc.Bmc):
    def __init__(self, authdata, port, watts, dcmi, sensors):
        super().__init__(authdata, port=port, address='127.0.0.1')
        # clients cache a repository by product id and modification time:
        # each test BMC has sensors of its own
        self.prodid = port
        self.watts = watts
        self.dcmi = dcmi
        # (record, raw reading) per sensor number; power in steps of 4 W
        self.sensors = {}
        entries = [(name, _SENSOR_TYPE_OTHER_UNITS, _WATTS, 4, value)
                   for name, value in sensors]
        entries.append(('Inlet Temp', _SENSOR_TYPE_TEMPERATURE, _CELSIUS, 1,
                        24))
        for index, (name, kind, unit, m, value) in enumerate(entries):
            number = index + 1
            record = full_sensor_record(index, number, name, kind, unit, m)
            self.sensors[number] = (record, int(value // m))
        self.records = [self.sensors[n][0] for n in sorted(self.sensors)]

    def _sdr(self, request, session):
        record_id, offset, size = struct.unpack('<HBB',
                                                bytes(request['data'][2:6]))
        record = self.records[record_id]
        following = record_id + 1 if record_id + 1 < len(self.records) \
            else 0xffff
        chunk = record[offset:] if size == 0xff else \
            record[offset:offset + size]
        session.send_ipmi_response(data=list(struct.pack('<H', following)) +
                                   list(chunk))

    def handle_raw_request(self, request, session):
        netfn, command = request['netfn'], request['command']
        if netfn == 0x2c and command == 0x02 and self.dcmi:
            watts = int(self.watts)
            data = struct.pack('<BHHHHIIB', 0xdc, watts, watts - 10,
                               watts + 10, watts, 0, 1000, 0x40)
            return session.send_ipmi_response(data=list(data))
        if netfn == 0x0a and command == 0x20:   # SDR repository info
            data = struct.pack('<BHHIIB', 0x51, len(self.records), 0xffff,
                               self.port, 0, 0x02)
            return session.send_ipmi_response(data=list(data))
        if netfn == 0x0a and command == 0x22:   # reserve the repository
            return session.send_ipmi_response(data=[1, 0])
        if netfn == 0x0a and command == 0x23:   # get SDR
            return self._sdr(request, session)
        if netfn == 0x04 and command == 0x2d:   # get sensor reading
            number = request['data'][0]
            if number not in self.sensors:
                return session.send_ipmi_response(code=0xcb)
            raw = self.sensors[number][1]
            return session.send_ipmi_response(data=[raw, 0x40, 0x00, 0x80])
        return super().handle_raw_request(request, session)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--user', default='admin')
    parser.add_argument('--password', default='secret')
    parser.add_argument('--watts', type=int, default=400)
    parser.add_argument('--no-dcmi', dest='dcmi', action='store_false')
    parser.add_argument('--sensor', action='append', default=[],
                        help='NAME=WATTS')
    args = parser.parse_args(argv)
    sensors = [(item.split('=')[0], int(item.split('=')[1]))
               for item in args.sensor]
    server = PowerBmc({args.user: args.password}, args.port, args.watts,
                      args.dcmi, sensors)
    print('ready', flush=True)
    server.listen()


if __name__ == '__main__':
    sys.exit(main())
