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
"""The one package that talks SQL, one module per resource.

- :mod:`.engine`: the enginefacade context and :func:`configure`;
- :mod:`.workloads`: workloads and their instances;
- :mod:`.rollups`: usage rollups and the ids of the messages folded in;
- :mod:`.costs`: hourly cost records and their sums;
- :mod:`.analysis`: trained model versions, predictions and
  recommendations;
- :mod:`.status`: the ping and the figures of the Prometheus exposition.

Callers use the names re-exported here (``from kcloud_analyzer.db import
api as db_api``; ``db_api.workload_get(...)``). Every function takes the
request context first; the enginefacade decorators open the reader or
writer transaction on it. Results are plain dicts so that nothing outside
this package holds a session.
"""

from kcloud_analyzer.db.api.analysis import model_version_create  # noqa
from kcloud_analyzer.db.api.analysis import model_version_get_latest  # noqa
from kcloud_analyzer.db.api.analysis import model_version_next  # noqa
from kcloud_analyzer.db.api.analysis import prediction_create  # noqa
from kcloud_analyzer.db.api.analysis import prediction_list  # noqa
from kcloud_analyzer.db.api.analysis import APPLIED  # noqa
from kcloud_analyzer.db.api.analysis import cost_window_sums  # noqa
from kcloud_analyzer.db.api.analysis import OPEN  # noqa
from kcloud_analyzer.db.api.analysis import recommendation_list  # noqa
from kcloud_analyzer.db.api.analysis import recommendation_realise  # noqa
from kcloud_analyzer.db.api.analysis import recommendations_apply  # noqa
from kcloud_analyzer.db.api.analysis import recommendations_unrealised  # noqa
from kcloud_analyzer.db.api.analysis import recommendations_reopen  # noqa
from kcloud_analyzer.db.api.analysis import recommendations_replace  # noqa
from kcloud_analyzer.db.api.costs import cost_record_list  # noqa
from kcloud_analyzer.db.api.costs import cost_records_latest_hour  # noqa
from kcloud_analyzer.db.api.costs import cost_records_latest_hours  # noqa
from kcloud_analyzer.db.api.costs import cost_records_upsert  # noqa
from kcloud_analyzer.db.api.totals import cost_summary  # noqa
from kcloud_analyzer.db.api.totals import cost_totals_rebuild  # noqa
from kcloud_analyzer.db.api.costs import COST_LINES  # noqa
from kcloud_analyzer.db.api.totals import workload_cost  # noqa
from kcloud_analyzer.db.api.engine import configure  # noqa
from kcloud_analyzer.db.api.engine import database_options  # noqa
from kcloud_analyzer.db.api.engine import get_engine  # noqa
from kcloud_analyzer.db.api.engine import main_context_manager  # noqa
from kcloud_analyzer.db.api.engine import RETRYABLE_ERRORS  # noqa
from kcloud_analyzer.db.api.engine import sqlite_use_wal  # noqa
from kcloud_analyzer.db.api.rollups import message_ids_seen  # noqa
from kcloud_analyzer.db.api.rollups import rollup_counts  # noqa
from kcloud_analyzer.db.api.rollups import poll_watermark_list  # noqa
from kcloud_analyzer.db.api.rollups import poll_watermarks_get  # noqa
from kcloud_analyzer.db.api.rollups import poll_watermarks_set  # noqa
from kcloud_analyzer.db.api.rollups import rollup_list  # noqa
from kcloud_analyzer.db.api.rollups import rollup_means  # noqa
from kcloud_analyzer.db.api.rollups import rollups_downsample  # noqa
from kcloud_analyzer.db.api.rollups import rollups_purge  # noqa
from kcloud_analyzer.db.api.rollups import rollups_updated_since  # noqa
from kcloud_analyzer.db.api.rollups import rollups_prepare  # noqa
from kcloud_analyzer.db.api.rollups import rollups_upsert  # noqa
from kcloud_analyzer.db.api.status import ping  # noqa
from kcloud_analyzer.db.api.status import store_statistics  # noqa
from kcloud_analyzer.db.api.utils import BATCH_SIZE  # noqa
from kcloud_analyzer.db.api.workloads import floating_ip_set  # noqa
from kcloud_analyzer.db.api.workloads import image_descriptions  # noqa
from kcloud_analyzer.db.api.workloads import image_set  # noqa
from kcloud_analyzer.db.api.workloads import instance_exposed  # noqa
from kcloud_analyzer.db.api.workloads import instance_flavors  # noqa
from kcloud_analyzer.db.api.workloads import instance_list_by_workload  # noqa
from kcloud_analyzer.db.api.workloads import instances_on_ports  # noqa
from kcloud_analyzer.db.api.workloads import CHANGED_AT as RESOURCES_CHANGED_AT  # noqa
from kcloud_analyzer.db.api.workloads import resource_changes  # noqa
from kcloud_analyzer.db.api.workloads import instance_update  # noqa
from kcloud_analyzer.db.api.workloads import workload_create  # noqa
from kcloud_analyzer.db.api.workloads import workload_delete_instance  # noqa
from kcloud_analyzer.db.api.workloads import workload_get  # noqa
from kcloud_analyzer.db.api.workloads import workload_get_by_instance  # noqa
from kcloud_analyzer.db.api.workloads import workload_ids_by_instance  # noqa
from kcloud_analyzer.db.api.workloads import workload_list  # noqa
from kcloud_analyzer.db.api.workloads import workload_upsert  # noqa
