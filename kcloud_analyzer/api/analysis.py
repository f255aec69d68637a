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
"""The thin layer between the controllers and the analysis packages.

It turns a request body into the frames ``workload_analyzer`` and
``cost_model`` take, calls them, and stores what the API promises to
store. No analysis happens here.
"""

import datetime
import threading
import time

import numpy as np
import pandas as pd

from kcloud_analyzer.api import validation
from kcloud_analyzer.common import exception
from kcloud_analyzer.common import metrics
from kcloud_analyzer.common import utils
from kcloud_analyzer.cost_model import models as cost_models
from kcloud_analyzer.cost_model.models import base as cost_base
from kcloud_analyzer.cost_model import ratecard
from kcloud_analyzer.cost_model import realtime
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import costs as cost_jobs
from kcloud_analyzer.jobs import frames
from kcloud_analyzer.jobs import profiles
from kcloud_analyzer.workload_analyzer import classifiers
from kcloud_analyzer.workload_analyzer.classifiers import random_forest

#: seconds a loaded classifier is used before it is loaded again, so that
#: a model retrained by the agent reaches the API
CLASSIFIER_RELOAD_S = 600

#: how a ``usage_pattern`` (means only) is laid out as a series: one
#: sample per rollup window over one hour, so that cost lines are priced
#: for a full hour.
PATTERN_STEP = datetime.timedelta(minutes=5)
PATTERN_SAMPLES = 12

#: the longest stretch of time one request's samples may cover; the
#: analysis works on regular grids over the whole stretch
MAX_SERIES_SPAN = pd.Timedelta(days=31)


def assume_accelerator(resources, card):
    """Name the model of accelerators counted without one.

    A count of GPUs (or NPUs) without a model is priced at the rate card's
    default model of that kind.

    :returns: ``(resources, assumed)``: the resources with the model filled
        in, and the model assumed (None when the request named it or
        counted no accelerator).
    """
    if resources.get('accelerator'):
        return resources, None
    for kind in ('gpu', 'npu'):
        if resources.get('%s_count' % kind, 0) > 0:
            model = card.default_accelerator(kind)
            if model is not None:
                return dict(resources, accelerator=model), model
    return resources, None


def usage_frame(body, now=None):
    """Long-form usage from ``usage`` samples, or from ``usage_pattern``
    means held constant over one hour ending at ``now``."""
    workload_id = body['workload_id']
    samples = body.get('usage')
    if samples:
        frame = pd.DataFrame.from_records(
            samples, columns=['timestamp', 'metric', 'value'])
        try:
            # Nanoseconds, as the analysis takes them: out-of-range years
            # fail here rather than deep inside it.
            timestamps = pd.to_datetime(frame['timestamp'], utc=True,
                                        format='ISO8601').dt.as_unit('ns')
        except (ValueError, OverflowError):
            raise exception.Invalid(
                reason='usage timestamps must lie between %sZ and %sZ' % (
                    validation.EARLIEST.isoformat(),
                    validation.LATEST.isoformat())) from None
        if timestamps.max() - timestamps.min() > MAX_SERIES_SPAN:
            raise exception.Invalid(
                reason='usage samples may cover at most %d days' %
                MAX_SERIES_SPAN.days)
        return pd.DataFrame({
            'workload_id': workload_id,
            'timestamp': timestamps,
            'metric': frame['metric'],
            'value': frame['value'].astype(float),
        })
    pattern = dict(body.get('usage_pattern') or {})
    storage_gb = (body.get('resources') or {}).get('storage_gb')
    if storage_gb is not None:
        pattern.setdefault(metrics.STORAGE_GB, storage_gb)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    end = pd.Timestamp(now).floor('h')
    times = pd.date_range(end=end - PATTERN_STEP, periods=PATTERN_SAMPLES,
                          freq=PATTERN_STEP)
    names = sorted(pattern)
    return pd.DataFrame({
        'workload_id': workload_id,
        'timestamp': np.tile(times, len(names)),
        'metric': np.repeat(names, len(times)),
        'value': np.repeat([float(pattern[n]) for n in names], len(times)),
    })


def _money(value):
    """An amount rounded as the store keeps money, as a JSON number."""
    return float(ratecard.to_money(value))


class Analysis:
    """Analyses and predictions for the API, with the service's models."""

    def __init__(self, conf, card):
        self.conf = conf
        self.card = card
        self._lock = threading.Lock()
        self._classifier = None
        self._classifier_loaded_at = None
        self._classifier_file = None
        self._cost_model = None
        self._cost_model_record = None

    def classifier(self):
        """The configured classifier with the newest model file.

        A model the agent has just trained is used from the next request
        on (one directory listing a request), not only after
        :data:`CLASSIFIER_RELOAD_S`.
        """
        newest = random_forest.latest_model_file(self.conf.models_dir)
        with self._lock:
            now = time.monotonic()
            if (self._classifier is None or
                    newest != self._classifier_file or
                    now - self._classifier_loaded_at > CLASSIFIER_RELOAD_S):
                self._classifier = classifiers.get_classifier(self.conf)
                self._classifier_loaded_at = now
                self._classifier_file = newest
            return self._classifier

    def cost_model(self, context):
        """The configured cost model with its newest trained version.

        Until a version has been trained, the rate-card plugin (which
        needs no training) answers instead.
        """
        record = db_api.model_version_get_latest(context,
                                                 cost_models.RECORD_NAME)
        with self._lock:
            if self._cost_model is None or record != self._cost_model_record:
                model = cost_models.load_latest(
                    cost_models.get_cost_model(self.conf, card=self.card),
                    record)
                if model.version is None and model.name != 'rate_card':
                    model = cost_models.get_cost_model(
                        self.conf, name='rate_card', card=self.card)
                self._cost_model = model
                self._cost_model_record = record
            return self._cost_model

    def predict(self, context, body, workload):
        """Predict and store the cost of a described or known workload.

        :param workload: the stored workload named by the body, or None
        :returns: the ``/api/v1/predict-cost`` response document
        """
        resources = dict((workload or {}).get('resources') or {})
        resources.update(body.get('resources') or {})
        resources, assumed = assume_accelerator(resources, self.card)
        kind = body.get('type')
        pattern = {}
        if workload is not None:
            kind = kind or workload.get('declared_type') or workload.get(
                'classified_type')
            measured = ((workload.get('profile') or {}).get('resource')
                        or {})
            for metric in cost_base.OPTIONAL_COLUMNS:
                value = measured.get('%s.mean' % metric)
                if value is not None:
                    pattern[metric] = value
        pattern.update(body.get('usage_pattern') or {})
        request = {
            'type': kind,
            'cpu_cores': resources.get('cpu_cores', 0),
            'memory_gb': resources.get('memory_gb', 0),
            'gpu_count': resources.get('gpu_count', 0),
            'npu_count': resources.get('npu_count', 0),
            'accelerator': resources.get('accelerator'),
        }
        request.update({metric: pattern[metric]
                        for metric in cost_base.OPTIONAL_COLUMNS
                        if metric in pattern})
        model = self.cost_model(context)
        try:
            predicted = model.predict([request], body['duration_hours'])[0]
        except (ValueError, KeyError) as error:
            raise exception.Invalid(reason=str(error)) from None
        lower, upper = predicted['interval']['total']
        stored = db_api.prediction_create(context, {
            'workload_id': workload['workload_id'] if workload else None,
            'project_id': (workload['project_id'] if workload
                           else context.project_id),
            'model_name': predicted['model'],
            'model_version': predicted['version'],
            'inputs': utils.json_ready(request),
            'currency': predicted['currency'],
            'duration_hours': predicted['duration_hours'],
            'cost_per_hour': predicted['cost_per_hour'],
            'total': predicted['total'],
            'lower': lower,
            'upper': upper,
        })
        return {
            'id': stored['uuid'],
            'workload_id': stored['workload_id'],
            'model': stored['model_name'],
            'model_version': stored['model_version'],
            'currency': stored['currency'],
            'duration_hours': stored['duration_hours'],
            'cost_per_hour': float(predicted['cost_per_hour']),
            'total': float(predicted['total']),
            'lower': float(lower),
            'upper': float(upper),
            'interval_level': predicted['interval']['level'],
            'assumed_accelerator': assumed,
            'created_at': stored['created_at'].isoformat(
                timespec='seconds') + 'Z',
        }

    def analyze(self, context, body, project_id):
        """Profile, classify, cost and store one workload.

        :returns: the ``/api/v1/analyze`` response document
        """
        workload_id = body['workload_id']
        resources, assumed = assume_accelerator(body['resources'], self.card)
        body = dict(body, resources=resources)
        stored = {
            'workload_id': workload_id, 'name': body.get('name'),
            'project_id': project_id, 'declared_type': body.get('type'),
            'resources': resources,
            'accelerator': resources.get('accelerator')}
        workloads = frames.workload_frame([stored])
        usage = usage_frame(body)
        classifier = self.classifier()
        stored.update(profiles.profile(classifier, workloads, usage)[
            workload_id])
        classification = stored['classification']
        # Costs and recommendations follow the type that counts, as the
        # agent's do.
        workloads['type'] = frames.workload_type(stored)
        workloads['type_confidence'] = frames.type_confidence(stored)
        try:
            costs, found = cost_jobs.price(workloads, usage, self.card)
        except realtime.CostInputError as error:
            raise exception.Invalid(reason=str(error)) from None
        energy = stored['profile']['energy']
        # What the energy line was billed from: the measured series, with
        # its gaps estimated, or an estimate of the power itself.
        billed_kwh = float(costs['energy_kwh'].sum())
        estimated_kwh = float(costs['estimated_kwh'].sum())
        energy['billed_kwh'] = billed_kwh
        energy['estimated_kwh'] = estimated_kwh
        energy['estimated'] = estimated_kwh > 0
        source = costs['power_estimate'].iloc[0]
        energy['power_estimate'] = source if isinstance(source, str) else None

        db_api.workload_upsert(context, stored)
        cost_jobs.store_recommendations(context, [workload_id], found)
        if body.get('usage'):
            cost_jobs.store_costs(self.conf, context, costs)

        return {
            'workload_id': workload_id,
            'declared_type': body.get('type'),
            'type': stored['classified_type'],
            'confidence': stored['confidence'],
            'classifier': classifier.name,
            'assumed_accelerator': assumed,
            'reason': classification['reason'],
            'deciding_features': classification['deciding_features'],
            'probabilities': classification['probabilities'],
            'evidence': classification['evidence'],
            'profile': stored['profile']['resource'],
            'energy': energy,
            'cost': {
                'cost_per_hour': _money(costs['cost_per_hour'].mean()),
                'cost_breakdown': {line: _money(costs[line].mean())
                                   for line in realtime.LINES},
                'idle_cost_per_hour': _money(costs['idle_cost'].mean()),
                'currency': self.card.currency,
            },
            'recommendations': [
                utils.json_ready({key: item[key] for key in (
                    'kind', 'action', 'monthly_saving', 'monthly_kwh',
                    'currency', 'confidence', 'expected_monthly_saving',
                    'evidence')})
                for item in found],
        }
