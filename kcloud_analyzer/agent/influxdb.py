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
"""Rollups to InfluxDB as line protocol (``[influxdb] url``).

InfluxDB 2.x is written through its write API (``/api/v2/write``) with the
official ``influxdb-client``, authenticated by an API token, into a bucket
of an organization; InfluxDB 1.x through its ``/write`` endpoint into a
database. Both take the same line protocol. A rollup
is one point per workload, metric and window; the point of a window is
rewritten whenever the window's rollup changes, and InfluxDB keeps the last
write of a series and timestamp, so the stored point is always the merged
rollup.
"""

import calendar

import requests

MEASUREMENT = 'usage_rollup'


def _escape_tag(value):
    return (str(value).replace('\\', '\\\\').replace(',', '\\,')
            .replace('=', '\\=').replace(' ', '\\ '))


def line(row):
    """One rollup row as a line of line protocol (second precision)."""
    timestamp = calendar.timegm(row['window_start'].timetuple())
    return '%s,workload_id=%s,metric=%s mean=%r,min=%r,max=%r,count=%di %d' % (
        MEASUREMENT, _escape_tag(row['workload_id']),
        _escape_tag(row['metric']), float(row['mean']), float(row['min']),
        float(row['max']), int(row['count']), timestamp)


class InfluxDBWriter:
    """Writes rollup rows to one database of an InfluxDB 1.x server."""

    def __init__(self, url, database, timeout=10.0, session=None):
        self.url = url.rstrip('/')
        self.database = database
        self.timeout = timeout
        self.session = session or requests.Session()

    def write(self, rows, batch_size=5000):
        """Write ``rows``; raises requests.HTTPError when refused."""
        for first in range(0, len(rows), batch_size):
            body = '\n'.join(line(r) for r in rows[first:first + batch_size])
            response = self.session.post(
                self.url + '/write',
                params={'db': self.database, 'precision': 's'},
                data=body.encode('utf-8'), timeout=self.timeout)
            response.raise_for_status()

    def close(self):
        self.session.close()


class InfluxDB2Writer:
    """Writes rollup rows to one bucket of an InfluxDB 2.x server."""

    def __init__(self, url, org, bucket, token, timeout=10.0):
        # imported here: only an agent writing to InfluxDB 2 needs it
        import influxdb_client
        from influxdb_client.client import write_api

        self.org = org
        self.bucket = bucket
        self.precision = influxdb_client.WritePrecision.S
        self.client = influxdb_client.InfluxDBClient(
            url=url.rstrip('/'), token=token, org=org,
            timeout=int(timeout * 1000))
        self.write_api = self.client.write_api(
            write_options=write_api.SYNCHRONOUS)

    def write(self, rows, batch_size=5000):
        """Write ``rows``; raises influxdb_client's ApiException when
        refused."""
        for first in range(0, len(rows), batch_size):
            self.write_api.write(
                bucket=self.bucket, org=self.org,
                record=[line(r) for r in rows[first:first + batch_size]],
                write_precision=self.precision)

    def close(self):
        self.write_api.close()
        self.client.close()


def writer(conf):
    """The writer ``[influxdb]`` asks for, or None without a URL."""
    group = conf.influxdb
    if not group.url:
        return None
    if group.token:
        if not group.org:
            raise ValueError('[influxdb] org is required with a token')
        return InfluxDB2Writer(group.url, group.org,
                               group.bucket or group.database, group.token)
    return InfluxDBWriter(group.url, group.database)
