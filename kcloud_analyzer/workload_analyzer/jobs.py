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
"""The agent's periodic workload-analysis tasks.

``update_profiles`` profiles and classifies every active workload from its
stored rollups; ``retrain`` retrains the classifier. Both are called by the
agent as ``function(conf, context)``. They are the I/O shell around the
pure analysis code: read rollups, analyse in one vectorised pass, write
the results back.
"""

import datetime

import numpy as np
from oslo_log import log
import pandas as pd

from kcloud_analyzer.common import datasets as data_locator
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.workload_analyzer import classifiers
from kcloud_analyzer.workload_analyzer.classifiers import base as \
    classifier_base
from kcloud_analyzer.workload_analyzer.classifiers import random_forest
from kcloud_analyzer.workload_analyzer import features
from kcloud_analyzer.workload_analyzer import series as series_lib
from kcloud_analyzer.workload_analyzer import train

LOG = log.getLogger(__name__)

#: Workloads are profiled and classified over this much recent telemetry.
PROFILE_WINDOW = datetime.timedelta(days=1)

_PAGE = 1000
_ROLLUP_PAGE = 100000


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _active_workloads(context):
    workloads, marker = [], None
    while True:
        page = db_api.workload_list(context, status='active', limit=_PAGE,
                                    marker=marker)
        workloads += page
        if len(page) < _PAGE:
            return workloads
        marker = page[-1]['workload_id']


def _rollups(context, start):
    rows, marker = [], None
    while True:
        page = db_api.rollup_list(context, start=start, limit=_ROLLUP_PAGE,
                                  marker=marker)
        rows += page
        if len(page) < _ROLLUP_PAGE:
            return rows
        marker = page[-1]['id']


def workload_frame(workloads):
    """The offline workloads shape from stored workload dicts."""
    resources = [w.get('resources') or {} for w in workloads]

    def number(key, kind=float):
        return np.array([kind(r.get(key) or 0) for r in resources])

    return pd.DataFrame({
        'workload_id': [w['workload_id'] for w in workloads],
        'type': [w.get('declared_type') for w in workloads],
        'cpu_cores': number('cpu_cores'),
        'memory_gb': number('memory_gb'),
        'gpu_count': number('gpu_count', int),
        'npu_count': number('npu_count', int),
        'accelerator': [w.get('accelerator') for w in workloads],
        'project_id': [w['project_id'] for w in workloads],
    })


def records_frame(workloads, frame):
    """The cloud's records of ``frame``'s workloads, for the classifier:
    the declared type and the lifecycle (an ended workload ran a finite
    job)."""
    by_id = {w['workload_id']: w for w in workloads}
    rows = [by_id.get(i) or {} for i in frame['workload_id']]
    return pd.DataFrame({
        'type': [w.get('declared_type') for w in rows],
        'lifecycle': ['ended' if w.get('status') == 'ended' or w.get(
            'ended_at') else None for w in rows],
    }, index=frame['workload_id'].to_numpy())


def usage_from_rollups(rollups):
    """Long-form usage, one sample per rollup window (its mean)."""
    if not rollups:
        return pd.DataFrame({'workload_id': [], 'timestamp': pd.to_datetime(
            [], utc=True), 'metric': [], 'value': []})
    frame = pd.DataFrame(rollups)
    return pd.DataFrame({
        'workload_id': frame['workload_id'].astype(object),
        'timestamp': pd.to_datetime(frame['window_start'], utc=True),
        'metric': frame['metric'].astype(object),
        'value': frame['mean'].astype(float),
    })


def _json_ready(value):
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if value is pd.NA:
        return None
    return value


def update_profiles(conf, context, now=None):
    """Profile and classify the active workloads over the last day.

    :returns: the number of workloads updated.
    """
    now = now or _utcnow()
    workloads = _active_workloads(context)
    usage = usage_from_rollups(_rollups(context, now - PROFILE_WINDOW))
    usage = usage[usage['workload_id'].isin(
        [w['workload_id'] for w in workloads])]
    measured = sorted(set(usage['workload_id']))
    if not measured:
        return 0
    frame = workload_frame(workloads).set_index('workload_id').loc[
        measured].reset_index()
    series = series_lib.from_usage(usage, frame['workload_id'])
    resources, energies, feature_frame = features.analyze_in_chunks(
        series, frame)
    classifier = classifiers.get_classifier(conf)
    decisions = classifier.predict(feature_frame,
                                   records=records_frame(workloads, frame))
    resource_rows = resources.to_dict('index')
    energy_rows = energies.to_dict('index')
    for workload_id, decision in decisions.iterrows():
        db_api.workload_upsert(context, {
            'workload_id': workload_id,
            'classified_type': decision['workload_class'],
            'confidence': float(decision['confidence']),
            'classification': classifier_base.summary(classifier.name,
                                                      decision),
            'profile': {
                'resource': _json_ready(resource_rows[workload_id]),
                'energy': _json_ready(energy_rows[workload_id]),
            },
        })
    LOG.info('Classified %(count)d workloads with %(name)s.',
             {'count': len(decisions), 'name': classifier.name})
    return len(decisions)


def declared_training_set(context, now=None):
    """Stored workloads whose tenants declared their type, as training data.

    Each is its own cross-validation group, labelled by its declared type,
    source ``declared``. Returns None when there are none.
    """
    now = now or _utcnow()
    declared = [w for w in _active_workloads(context)
                if w.get('declared_type') in train.synthetic.CLASSES]
    if not declared:
        return None
    usage = usage_from_rollups(_rollups(context, now - PROFILE_WINDOW))
    usage = usage[usage['workload_id'].isin(
        [w['workload_id'] for w in declared])]
    measured = sorted(set(usage['workload_id']))
    if not measured:
        return None
    frame = workload_frame(declared).set_index('workload_id').loc[
        measured].reset_index()
    series = series_lib.from_usage(usage, frame['workload_id'])
    feature_frame = features.analyze_in_chunks(series, frame)[2]
    labels = frame.set_index('workload_id').loc[feature_frame.index,
                                                 'type'].to_numpy()
    return train.TrainingSet(feature_frame, labels,
                             ['declared'] * len(labels),
                             ['declared:' + i for i in feature_frame.index])


def retrain(conf, context, synthetic_per_class=600, zeus_runs=500, folds=5,
            trees=200, seed=0, now=None):
    """Retrain the classifier and store a new version.

    The training set is the one of ``kcloud-analyzer-train-classifier``
    plus the stored workloads that declared their type. Without the public
    trace folder, synthetic and declared workloads are used alone.
    """
    rng = np.random.default_rng(seed)
    try:
        data_dir = data_locator.data_dir()
    except data_locator.DataDirNotFound as exc:
        LOG.warning('Retraining without the public traces: %s', exc)
        data_dir = None
    parts = [train.build_training_set(
        data_dir, rng, synthetic_per_class, max_zeus_runs=zeus_runs,
        rollup_window_s=conf.rollup_window)]
    declared = declared_training_set(context, now=now)
    if declared is not None:
        parts.append(declared)
    training_set = train.TrainingSet(
        pd.concat([p.features for p in parts]),
        np.concatenate([p.labels for p in parts]),
        np.concatenate([p.sources for p in parts]),
        np.concatenate([p.groups for p in parts]))
    report = train.evaluate(training_set, folds, seed, trees)
    path, record = train.train_and_store(conf, context, training_set, report,
                                         seed, trees)
    LOG.info('Trained %(name)s version %(version)d (%(path)s); accuracy '
             '%(accuracy).3f in grouped cross-validation.',
             {'name': random_forest.MODEL_NAME, 'version': record['version'],
              'path': path,
              'accuracy': report['random_forest']['accuracy']})
    return record
