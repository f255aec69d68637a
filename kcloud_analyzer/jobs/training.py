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

import datetime
import os
import pathlib

import numpy as np
from oslo_log import log
import pandas as pd

from kcloud_analyzer.common import datasets as data_locator
from kcloud_analyzer.common import offline
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

def sample_per_class(workloads, per_class, rng):
    """At most ``per_class`` of the workload dicts of each declared type
    (a uniform random sample of those of a type that has more), in
    workload id order."""
    by_type = {}
    for workload in workloads:
        by_type.setdefault(workload['declared_type'], []).append(workload)
    kept = []
    for items in by_type.values():
        if len(items) > per_class:
            picked = rng.choice(len(items), per_class, replace=False)
            items = [items[i] for i in picked]
        kept.extend(items)
    return sorted(kept, key=lambda workload: workload['workload_id'])


def declared_training_set(context, now=None, per_class=None, rng=None):
    """Stored workloads whose tenants declared their type, as training data.

    Active workloads with a declared type and rollups in the last
    :data:`~kcloud_analyzer.jobs.profiles.PROFILE_WINDOW`, at most
    ``per_class`` of each type (:func:`sample_per_class`, with ``rng``)
    when given; each is its own cross-validation group, labelled by its
    declared type, source ``declared``. Returns None when there are none.
    """
    now = now or utils.utcnow()
    # only the declared ones are read: not a dictionary per workload of
    # the fleet
    declared = frames.stored_workloads(context, status='active',
                                       declared_types=synthetic.CLASSES)
    if per_class is not None:
        declared = sample_per_class(declared, per_class,
                                    rng or np.random.default_rng(0))
    if not declared:
        return None
    workloads = frames.workload_frame(declared)
    # Only the declared workloads' rollups are read, a part at a time.
    found = []
    for part, usage in frames.usage_parts(
            context, workloads, start=now - profiles.PROFILE_WINDOW):
        frame = frames.measured(part, usage)
        series = series_lib.from_usage(usage, frame['workload_id'])
        found.append(features.analyze_in_chunks(series, frame)[2])
    if not found:
        return None
    feature_frame = pd.concat(found)
    # The frame's type is the declared one: every workload here has one.
    labels = workloads.set_index('workload_id').loc[feature_frame.index,
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
    plus the stored workloads that declared their type (at most
    ``[workload_classifier] declared_per_class`` of each). Without the public
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
    declared = declared_training_set(
        context, now=now,
        per_class=conf.workload_classifier.declared_per_class, rng=rng)
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

#: rollups priced together when the cost model's history is read: a
#: quarter of the cost job's part (:data:`.frames.BATCH_ROWS`), so that
#: the part read as the driver's rows, the workload-hours kept and the
#: fit stay within the agent's 300 MB (the retraining peaked at 356 MB
#: with parts of 200,000, 296 MB with 50,000, in about a third more time)
HISTORY_ROWS = 50000


def _hourly_usage(means):
    """Long-form usage (one sample per workload-hour and metric, at the
    hour) from a frame of hourly means, metrics as columns, indexed by
    ``workload_id, hour``."""
    long = means.rename_axis(columns='metric').stack().rename('value')
    long = long.reset_index().rename(columns={'hour': 'timestamp'})
    return long[['workload_id', 'timestamp', 'metric', 'value']]


def cost_history(context, card, start=None, end=None, limit=None, seed=0,
                 rows=HISTORY_ROWS):
    """The stored history priced for training, in bounded memory.

    The workloads and their rollups from ``start`` to ``end`` are read and
    priced a part of at most ``rows`` rollups at a time
    (:func:`frames.batches`); of the priced
    workload-hours a uniform random sample of at most ``limit`` is kept
    (all of them when there are fewer), with the hourly means of their
    usage, so memory is bounded by ``limit`` and one part, not by the fleet
    nor by the window.

    :returns: ``(workloads, usage, costs, seen)``: the workloads of the
        kept hours (the columns of ``workloads.csv``,
        :data:`~kcloud_analyzer.common.offline.WORKLOAD_COLUMNS`), their
        usage as one sample per workload-hour and metric
        (its hourly mean, at the hour: all a cost plugin fits on), their
        cost lines (:func:`realtime.compute_costs`) in workload and hour
        order, and how many priced workload-hours the window held.
    """
    rng = np.random.default_rng(seed)
    kept, draws, workloads, seen = [], [], [], 0
    for batch, usage in frames.batches(context, start=start, end=end,
                                       rows=rows):
        costs = realtime.compute_costs(batch, usage, card)
        means = realtime.hourly_means(usage).reindex(
            pd.MultiIndex.from_frame(costs[['workload_id', 'hour']]))
        means.columns = pd.Index(means.columns, dtype=object)
        seen += len(costs)
        kept.append(pd.concat([costs.reset_index(drop=True),
                               means.reset_index(drop=True)
                               .add_prefix('usage:')], axis=1))
        draws.append(rng.random(len(costs)))
        # the columns of workloads.csv, which is what the plugins are
        # given from files too: not the records, tags and metadata
        workloads.append(batch[list(offline.WORKLOAD_COLUMNS)])
        if limit is not None and sum(map(len, kept)) > limit:
            rows, draw = pd.concat(kept, ignore_index=True), np.concatenate(
                draws)
            keep = np.sort(np.argpartition(draw, limit)[:limit])
            kept, draws = [rows.iloc[keep]], [draw[keep]]
            workloads = pd.concat(workloads, ignore_index=True)
            workloads = [workloads.loc[workloads['workload_id'].isin(
                kept[0]['workload_id'])]]
    if not kept:
        return None, None, None, 0
    rows = pd.concat(kept, ignore_index=True).sort_values(
        ['workload_id', 'hour'], kind='stable', ignore_index=True)
    usage_columns = [c for c in rows.columns if c.startswith('usage:')]
    costs = rows.drop(columns=usage_columns)
    costs.attrs['currency'] = card.currency
    means = rows.set_index(['workload_id', 'hour'])[usage_columns]
    means.columns = [c[len('usage:'):] for c in usage_columns]
    workloads = pd.concat(workloads, ignore_index=True)
    workloads = workloads.loc[workloads['workload_id'].isin(
        costs['workload_id'])].reset_index(drop=True)
    return workloads, _hourly_usage(means), costs, seen


def train_cost_model(conf, context, workloads, usage, card,
                     plugin_name=None, costs=None, seen=None):
    """Fit the cost plugin, save and record one new version.

    :param costs: the cost lines of the hours of ``usage``, when they are
        already priced (:func:`cost_history`); priced here otherwise.
    :param seen: the workload-hours ``costs`` was sampled from, when it
        is a sample.
    :raises ValueError: a plugin that needs no training, or unusable data
    :returns: the model_versions record
    """
    model = cost_models.get_cost_model(conf, plugin_name, card=card)
    if not model.trainable:
        raise ValueError(f'the {model.name} cost model needs no training')
    if costs is None:
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
            'workload_hours_in_window': int(
                len(costs) if seen is None else seen),
            'first_hour': costs['hour'].min().isoformat(),
            'last_hour': costs['hour'].max().isoformat(),
            'rate_card_version': card.version,
            'currency': card.currency,
        },
    })


def training_window(conf, now=None):
    """``(start, end)`` of the history the cost model is fitted on: the
    ``[cost_model] training_window`` up to ``now`` (naive UTC)."""
    end = now or utils.utcnow()
    return end - datetime.timedelta(
        seconds=conf.cost_model.training_window), end


def retrain_cost_model(conf, context, now=None):
    """Fit the configured cost prediction plugin on the stored history of
    the ``[cost_model] training_window`` before ``now``, at most
    ``[cost_model] training_hours`` workload-hours of it
    (:func:`cost_history`).

    :returns: the new model_versions record, or None when there is nothing
        to train (a plugin that needs no training, or no history yet).
    """
    card = ratecard.load_rate_card(conf.cost_model.rate_card_file)
    start, end = training_window(conf, now)
    try:
        workloads, usage, costs, seen = cost_history(
            context, card, start=start, end=end,
            limit=conf.cost_model.training_hours)
        if not seen:
            LOG.info('No usage history yet: the cost model is not trained')
            return None
        record = train_cost_model(conf, context, workloads, usage, card,
                                  costs=costs, seen=seen)
    except realtime.CostInputError as exc:
        LOG.warning('Cost model not retrained: the rate card cannot price '
                    'the history: %s', exc)
        return None
    except ValueError as exc:
        LOG.info('Cost model not retrained: %s', exc)
        return None
    LOG.info('Trained cost model version %d (%s) on %d of %d '
             'workload-hours', record['version'], record['file'],
             len(costs), seen)
    return record
