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
"""The one join of the store and the analysis packages.

- :mod:`.frames`: the store's workloads and rollups as the frames the
  analysis packages take (the one adapter);
- :mod:`.profiles`: profile and classify workloads, store the results;
- :mod:`.costs`: price hours, find recommendations, store both;
- :mod:`.training`: retrain the classifier and the cost model and record
  the new versions.
- :mod:`.retention`: downsample old rollups to hours once they are
  priced.

The agent runs these on schedule, the API's ``/analyze`` and the commands
call the same functions: an analysis does not depend on who asked for it.
``workload_analyzer`` and ``cost_model`` stay pure (no ``db``, no
``conf``); this package is where they meet the store.
"""
