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

from kcloud_analyzer.agent import influxdb


def test_line_protocol():
    row = {'workload_id': 'job 1,a=b', 'metric': 'power_watts',
           'window_start': datetime.datetime(2026, 1, 1, 0, 5),
           'mean': 250.5, 'min': 200.0, 'max': 301.25, 'count': 10}
    assert influxdb.line(row) == (
        'usage_rollup,workload_id=job\\ 1\\,a\\=b,metric=power_watts '
        'mean=250.5,min=200.0,max=301.25,count=10i 1767225900')
