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
"""Retrain the classifier and the cost model; record the new versions.

The agent calls :func:`retrain_classifier` and :func:`retrain_cost_model`
on their ``retrain_interval``; ``kcloud-analyzer-train-classifier`` and
``kcloud-analyzer-train-cost-model`` (:mod:`kcloud_analyzer.cmd`) store
what they train through :func:`store_classifier` and
:func:`train_cost_model`. The training itself is
:mod:`kcloud_analyzer.workload_analyzer.train` and the cost model plugins.
"""

import os
import pathlib

import numpy as np
from oslo_log import log
import pandas as pd

from kcloud_analyzer.common import datasets as data_locator
from kcloud_analyzer.common import utils
from kcloud_analyzer.cost_model import models as cost_models
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.cost_model import realtime
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import frames
from kcloud_analyzer.jobs import profiles
from kcloud_analyzer.workload_analyzer.classifiers import random_forest
from kcloud_analyzer.workload_analyzer import features
from kcloud_analyzer.workload_analyzer import series as series_lib
from kcloud_analyzer.workload_analyzer import synthetic
from kcloud_analyzer.workload_analyzer import train

LOG = log.getLogger(__name__)


# --------------------------------------------------------------- classifier

def declared_training_set(context, now=None):
    """Stored workloads whose tenants declared their type, as training data.

    Active workloads with a declared type and rollups in the last
    :data:`~kcloud_analyzer.jobs.profiles.PROFILE_WINDOW`; each is its own
    cross-validation group, labelled by its declared type, source
    ``declared``. Returns None when there are none.
    """
    now = now or utils.utcnow()
    declared = [w for w in frames.stored_workloads(context, status='active')
                if w.get('declared_type') in synthetic.CLASSES]
    if not declared:
        return None
    workloads = frames.workload_frame(declared)
    usage = frames.usage_from_rollups(frames.stored_rollups(
        context, start=now - profiles.PROFILE_WINDOW))
    usage = usage[usage['workload_id'].isin(workloads['workload_id'])]
    if usage.empty:
        return None
    frame = frames.measured(workloads, usage)
    series = series_lib.from_usage(usage, frame['workload_id'])
    feature_frame = features.analyze_in_chunks(series, frame)[2]
    # The frame's type is the declared one: every workload here has one.
    labels = frame.set_index('workload_id').loc[feature_frame.index,
                                                 'type'].to_numpy()
    return train.TrainingSet(feature_frame, labels,
                             ['declared'] * len(labels),
                             ['declared:' + i for i in feature_frame.index])


def store_classifier(conf, context, training_set, report, seed, trees):
    """Fit on everything, write the versioned file, record it.

    :returns: ``(path, model_versions record)``
    """
    version = db_api.model_version_next(context, random_forest.MODEL_NAME)
    bundle = random_forest.fit(training_set.features,
                               training_set.labels.astype(str), seed=seed,
                               n_estimators=trees,
                               temperature=report.get('temperature', 1.0),
                               abstain_below=report.get('abstain_below'))
    folder = pathlib.Path(conf.models_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / random_forest.model_file_name(version)
    random_forest.save(bundle, path)
    record = db_api.model_version_create(context, {
        'name': random_forest.MODEL_NAME,
        'version': version,
        'trained_at': utils.utcnow(),
        'metrics': report,
        'file': str(path),
        'data': {'workloads': training_set.summary(),
                 'features': list(training_set.features.columns),
                 'seed': seed, 'trees': trees},
    })
    return path, record


def retrain_classifier(conf, context, synthetic_per_class=600, zeus_runs=500,
                       folds=5, trees=200, seed=0, now=None):
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
    path, record = store_classifier(conf, context, training_set, report,
                                    seed, trees)
    LOG.info('Trained %(name)s version %(version)d (%(path)s); accuracy '
             '%(accuracy).3f in grouped cross-validation.',
             {'name': random_forest.MODEL_NAME, 'version': record['version'],
              'path': path,
              'accuracy': report['random_forest']['accuracy']})
    return record


# --------------------------------------------------------------- cost model

def train_cost_model(conf, context, workloads, usage, card,
                     plugin_name=None):
    """Fit the cost plugin, save and record one new version.

    :raises ValueError: a plugin that needs no training, or unusable data
    :returns: the model_versions record
    """
    model = cost_models.get_cost_model(conf, plugin_name, card=card)
    if not model.trainable:
        raise ValueError(f'the {model.name} cost model needs no training')
    costs = realtime.compute_costs(workloads, usage, card)
    statistics = model.fit(workloads, usage, costs)
    name = cost_models.RECORD_NAME
    version = db_api.model_version_next(context, name)
    model.version = version
    path = os.path.join(conf.models_dir,
                        f'cost_model-{model.name}-v{version}.json')
    model.save(path)
    return db_api.model_version_create(context, {
        'name': name,
        'version': version,
        'trained_at': utils.utcnow(),
        'metrics': statistics,
        'file': path,
        'data': {
            'plugin': model.name,
            'workloads': int(workloads['workload_id'].nunique()),
            'workload_hours': int(len(costs)),
            'first_hour': costs['hour'].min().isoformat(),
            'last_hour': costs['hour'].max().isoformat(),
            'rate_card_version': card.version,
            'currency': card.currency,
        },
    })


def retrain_cost_model(conf, context):
    """Fit the configured cost prediction plugin on the stored history.

    :returns: the new model_versions record, or None when there is nothing
        to train (a plugin that needs no training, or no history yet).
    """
    card = ratecard.load_rate_card(conf.cost_model.rate_card_file)
    workloads, usage = frames.from_store(context)
    if usage.empty:
        LOG.info('No usage history yet: the cost model is not trained')
        return None
    try:
        record = train_cost_model(conf, context, workloads, usage, card)
    except ValueError as exc:
        LOG.info('Cost model not retrained: %s', exc)
        return None
    LOG.info('Trained cost model version %d (%s)', record['version'],
             record['file'])
    return record
