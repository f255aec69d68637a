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
"""Profile and classify workloads and store the results.

:func:`profile` is the analysis itself (the API's ``/analyze`` and the
agent call it alike); :func:`update_profiles` is the agent's periodic
task over the active workloads' recent rollups.
"""

import datetime

from oslo_log import log

from kcloud_analyzer.common import utils
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import frames
from kcloud_analyzer.workload_analyzer import classifiers
from kcloud_analyzer.workload_analyzer.classifiers import base as \
    classifier_base
from kcloud_analyzer.workload_analyzer import features
from kcloud_analyzer.workload_analyzer import series as series_lib

LOG = log.getLogger(__name__)

#: Workloads are profiled and classified over this much recent telemetry.
PROFILE_WINDOW = datetime.timedelta(days=1)


def profile(classifier, workloads, usage):
    """Profile and classify ``workloads`` from their ``usage``.

    :param classifier: a loaded classifier plugin
    :param workloads: the workloads frame (:data:`.frames.COLUMNS`)
    :param usage: long-form usage
    :returns: ``{workload_id: values}``, ``values`` being the fields of
        ``db_api.workload_upsert`` the analysis decides: classified_type,
        confidence, classification and profile (JSON-ready).
    """
    series = series_lib.from_usage(usage, workloads['workload_id'])
    resources, energies, feature_frame = features.analyze_in_chunks(
        series, workloads)
    coarse = series_lib.coarsen(usage)
    if len(coarse) < len(usage):
        # Classes are judged on samples at least FEATURE_STEP_S apart, as
        # the model was trained; the profiles keep every sample.
        feature_frame = features.analyze_in_chunks(
            series_lib.from_usage(coarse, workloads['workload_id']),
            workloads)[2]
    decisions = classifier.predict(feature_frame,
                                   records=frames.records(workloads))
    resource_rows = resources.to_dict('index')
    energy_rows = energies.to_dict('index')
    return {
        workload_id: {
            'classified_type': decision['workload_class'],
            'confidence': float(decision['confidence']),
            'classification': classifier_base.summary(classifier.name,
                                                      decision),
            'profile': {
                'resource': utils.json_ready(
                    resource_rows.get(workload_id, {})),
                'energy': utils.json_ready(energy_rows.get(workload_id, {})),
            },
        } for workload_id, decision in decisions.iterrows()}


def update_profiles(conf, context, now=None, owns=None):
    """Profile and classify the active workloads over the last day, a
    batch of workloads at a time (:func:`.frames.batches`).

    :param now: naive UTC datetime (tests); defaults to the current time.
    :param owns: ``owns(workload_id)``: only those workloads (an agent's
        share); all when None.
    :returns: the number of workloads updated.
    """
    now = now or utils.utcnow()
    classifier = None
    updated = 0
    for workloads, usage in frames.batches(
            context, start=now - PROFILE_WINDOW, status='active',
            owns=owns):
        if usage.empty:
            continue
        classifier = classifier or classifiers.get_classifier(conf)
        results = profile(classifier, frames.measured(workloads, usage),
                          usage)
        for workload_id, values in results.items():
            db_api.workload_upsert(context, dict(values,
                                                 workload_id=workload_id))
        updated += len(results)
    if classifier is not None:
        LOG.info('Classified %(count)d workloads with %(name)s.',
                 {'count': updated, 'name': classifier.name})
    return updated
