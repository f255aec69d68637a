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
"""The classifier's failure modes on real jobs, as regression tests.

Each real source is classified by a small forest trained without it (the
other real source and a few synthetic workloads), the way
``tools/eval/classifier_eval.py`` scores the model.
"""

import numpy as np
import pytest

from kcloud_analyzer.common import datasets as data_locator
from kcloud_analyzer.workload_analyzer import datasets
from kcloud_analyzer.workload_analyzer import evaluation
from kcloud_analyzer.workload_analyzer import features
from kcloud_analyzer.workload_analyzer import synthetic


@pytest.fixture(scope='module')
def held_out():
    data_dir = data_locator.data_dir()
    real = evaluation.LabelledSet.concat([
        evaluation.labelled(*datasets.migprofiler_runs(data_dir),
                            'migprofiler'),
        evaluation.labelled(*datasets.alibaba_serving(data_dir),
                            'alibaba_genai')])
    rng = np.random.default_rng(3)
    parts = []
    for label in synthetic.CLASSES:
        series, workloads = synthetic.generate(40, label, rng, prefix=label)
        frame = features.analyze(series, workloads)[2]
        parts.append(evaluation.LabelledSet(frame, [label] * len(frame),
                                            ['synthetic'] * len(frame)))
    augment = evaluation.LabelledSet.concat(parts)
    probabilities, deciding = evaluation.out_of_source(real, augment,
                                                       trees=30)
    per_source, _ = evaluation.temperatures(real, probabilities)
    answer = evaluation.answers(real, probabilities, deciding, per_source)
    return real, answer


def _confidently(answer, mask, label):
    chosen = answer[mask]
    return float(np.mean((chosen['workload_class'] == label)
                         & (chosen['confidence'] >= 0.8)))


def test_saturated_batch_inference_is_not_confidently_training(held_out):
    # Real batch inference runs steady at 85-98 % GPU were called
    # training.
    real, answer = held_out
    busy = ((real.labels == 'inference')
            & (real.features['accel_util_mean'].to_numpy() >= 85))
    assert busy.sum() >= 40
    assert _confidently(answer, busy, 'training') <= 0.02


def test_training_with_dips_is_not_confidently_inference(held_out):
    # Real training averaging well under saturation was called inference.
    real, answer = held_out
    dipping = ((real.labels == 'training')
               & (real.features['accel_util_mean'].to_numpy() < 90))
    assert dipping.sum() >= 20
    assert _confidently(answer, dipping, 'inference') <= 0.02


def test_short_serving_pods_are_not_called_training(held_out):
    # Short serving pods (a quarter of an hour or less) were called
    # training, the training data having dropped pods under 60 samples.
    real, answer = held_out
    pods = real.sources == 'alibaba_genai'
    samples = real.features['samples'].to_numpy()
    short = pods & (samples <= 15)
    assert short.sum() >= 3
    assert not (answer[short]['workload_class'] == 'training').any()
    # What little was seen shows in the confidence.
    assert (answer[short]['confidence'].mean()
            < answer[pods & (samples >= 600)]['confidence'].mean())


def test_serving_pods_are_recognised_without_their_source(held_out):
    real, answer = held_out
    pods = real.sources == 'alibaba_genai'
    assert np.mean(answer[pods]['workload_class'] == 'serving') > 0.7
