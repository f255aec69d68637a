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
"""An explainable classifier that needs no training.

Each rule is a condition on one feature that votes for one class with a
weight; a feature that is NaN casts no vote. The class with the largest
sum of votes (plus a prior of 1 each) wins, its probability is its share of
the total, and the features whose rules voted for it are the reasons.
With no vote at all every class has a third: the answer is ``unknown``,
never a default class.
"""

import numpy as np

from kcloud_analyzer.workload_analyzer.classifiers import base


def _at_least(threshold):
    return lambda values: values >= threshold


def _at_most(threshold):
    return lambda values: values <= threshold


def _between(low, high):
    return lambda values: (values >= low) & (values <= high)


#: (feature, condition, class, weight, why)
RULES = (
    ('util_to_memory', _at_most(0.4), 'serving', 2.0,
     'model kept resident in accelerator memory and used now and then'),
    ('accel_util_idle_share', _at_least(0.3), 'serving', 1.5,
     'accelerator idle between requests'),
    ('diurnal_strength', _at_least(0.15), 'serving', 1.5,
     'load follows the time of day'),
    ('burstiness', _at_least(-0.2), 'serving', 1.0,
     'utilisation comes in bursts'),
    ('peak_to_mean', _at_least(1.3), 'serving', 1.0,
     'load swings with the requests'),
    ('network_rx_share', _at_most(0.45), 'serving', 0.5,
     'sends more than it receives (responses)'),
    ('accel_util_mean', _at_least(80.0), 'training', 1.5,
     'accelerators kept busy'),
    ('accel_util_p50', _at_least(85.0), 'training', 1.0,
     'busy most of the time'),
    ('multi_node', _at_least(1.0), 'training', 2.0,
     'spans several hosts'),
    ('accelerator_count', _at_least(4.0), 'training', 0.5,
     'many accelerators'),
    ('accel_memory_mean', _at_least(60.0), 'training', 0.5,
     'accelerator memory mostly used (weights, optimiser state)'),
    ('disk_read_share', _at_least(0.8), 'inference', 1.0,
     'reads its inputs, writes little'),
    ('network_rx_share', _at_least(0.7), 'inference', 1.0,
     'receives much more than it sends'),
    ('accel_util_mean', _between(40.0, 80.0), 'inference', 0.75,
     'accelerators busy but not saturated'),
    ('accel_util_idle_share', _at_most(0.1), 'inference', 0.25,
     'seldom idle'),
)


class RulesClassifier(base.WorkloadClassifier):
    """Weighted rules on the features; see :data:`RULES`."""

    name = 'rules'

    def probabilities(self, features):
        rows = len(features)
        classes = list(base.CLASSES)
        scores = np.ones((rows, len(classes)))
        votes = np.zeros((rows, len(RULES)))
        for position, (feature, condition, label, weight, _why) in (
                enumerate(RULES)):
            values = features[feature].to_numpy(dtype=float)
            with np.errstate(invalid='ignore'):
                fired = condition(values) & ~np.isnan(values)
            votes[:, position] = np.where(fired, weight, 0.0)
            scores[:, classes.index(label)] += votes[:, position]
        winner = np.argmax(scores, axis=1)
        rule_class = np.array([classes.index(rule[2]) for rule in RULES])
        for_winner = np.where(rule_class[None, :] == winner[:, None],
                              votes, 0.0)
        deciding = base.top_features(for_winner,
                                     [rule[0] for rule in RULES])
        return scores / scores.sum(axis=1, keepdims=True), deciding
