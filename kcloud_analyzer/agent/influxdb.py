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

The ``/write`` endpoint and line protocol are shared by InfluxDB 1.x and
2.x (whose v1 compatibility API maps the database to a bucket). A rollup
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
    """Writes rollup rows to one database of an InfluxDB server."""

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
