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
"""The agent's profiling task on real serving series."""

from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import profiles
from tests.unit.jobs import conftest


def test_update_profiles_classifies_and_stores(serving_store):
    conf, context, now, pods = serving_store
    assert profiles.update_profiles(conf, context, now=now) == conftest.PODS
    for pod in pods:
        stored = db_api.workload_get(context, pod)
        # No model trained in this store: the rules classifier answers.
        assert stored['classification']['classifier'] == 'rules'
        assert stored['classified_type'] == 'serving'
        assert 0 < stored['confidence'] <= 1
        assert stored['classification']['deciding_features']
        resource = stored['profile']['resource']
        assert 0 <= resource['gpu_utilization.mean'] <= 100
        assert resource['gpus_allocated'] == 1
        assert resource['sampling_interval_s'] == 300
        assert stored['profile']['energy']['energy_kwh'] is None
    untouched = db_api.workload_get(context, 'no-telemetry')
    assert untouched['classified_type'] is None


