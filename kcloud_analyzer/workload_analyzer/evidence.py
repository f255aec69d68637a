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
"""Evidence from the cloud's own records, as log-odds per class.

No public trace pairs these records with telemetry and a true class, so
their weights are not learnt: each is a documented likelihood ratio,
added to the calibrated telemetry probabilities
(:func:`.calibration.combine`). Every record is optional; a missing one
counts for nothing.

==================  =========================================  ===========
record (column)     where it comes from                        log-odds
==================  =========================================  ===========
``type``            the tenant's declared type: the API        +3.0 for it
                    body's ``type``, the server metadata
                    ``kcloud:workload_type`` (Nova
                    notifications) or the flavor extra spec
                    ``kcloud:workload_type``
``image``           image name, properties and tags (Glance's  +1.5
                    notifications, beside the UUID Nova
                    gives): serving engines (vllm, tgi,
                    triton, ...), training stacks (deepspeed,
                    megatron, ...)
``tags``            server tags (Nova), same words              +1.5
``metadata``        server metadata keys and values (Nova),    +1.5
                    same words (the grouping and declared
                    type keys left out)
``lifecycle``       ``ended``: a finite run that ended by       serving -1.5
                    itself; ``long_running``: an instance
                    running for 12 h or more by its own         serving +1.0
                    creation time (Nova's ``created_at``, not
                    by how long telemetry was watched);
                    ``running``: nothing
``network_exposed`` a floating IP associated with one of its   serving +2.0
                    ports (Neutron's notifications,
                    :mod:`kcloud_analyzer.metrics_collector.
                    neutron`)
==================  =========================================  ===========

``exp(3.0)`` is 20 to 1: a declared type is strong evidence but a wrong
declaration can still be outweighed by telemetry that clearly says
otherwise.
"""


import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics

CLASSES = metrics.WORKLOAD_TYPES

RECORD_COLUMNS = ('type', 'image', 'tags', 'metadata', 'lifecycle',
                  'network_exposed')

DECLARED_LOG_ODDS = 3.0
HINT_LOG_ODDS = 1.5
ENDED_LOG_ODDS = -1.5
LONG_RUNNING_LOG_ODDS = 1.0
EXPOSED_LOG_ODDS = 2.0

#: Words in an image name, its properties or a server tag, by class.
#: Serving is matched first and its words removed, so that
#: ``text-generation-inference`` does not also count as batch inference.
HINT_WORDS = (
    ('serving', r'vllm|sglang|text-generation-inference|\btgi\b|triton|'
                r'torchserve|kserve|ray-?serve|ollama|\bserv(?:e|ing|er)\b|'
                r'endpoint|openai-api|\bnim\b'),
    ('training', r'train(?:ing|er)?\b|fine-?tun|\bsft\b|pre-?train|'
                 r'deepspeed|megatron|\bnemo\b|torchtitan|\bfsdp\b'),
    ('inference', r'batch|\binfer(?:ence)?\b|offline|eval(?:uation)?\b|'
                  r'embed(?:ding)?s?\b'),
)


def _text(values):
    """Lower-case text of a column of strings, lists or dicts."""
    def one(value):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return ''
        if isinstance(value, dict):
            return ' '.join(f'{k} {v}' for k, v in value.items())
        if isinstance(value, (list, tuple, set)):
            return ' '.join(str(v) for v in value)
        return str(value)
    return pd.Series([one(v) for v in values], dtype=object).str.lower()


def _hints(text):
    """``(rows, classes)`` of 0/1: which classes the words point to."""
    found = np.zeros((len(text), len(CLASSES)))
    rest = text.str.replace(r'[_./:]', '-', regex=True)
    for label, pattern in HINT_WORDS:
        hit = rest.str.contains(pattern, regex=True).to_numpy(dtype=bool)
        found[:, CLASSES.index(label)] = hit
        rest = rest.str.replace(pattern, ' ', regex=True)
    return found


def _column(records, name, rows):
    if records is None or name not in records:
        return np.full(rows, None, dtype=object)
    return records[name].to_numpy(dtype=object)


def record_log_odds(records, rows):
    """Log-odds per class and the evidence named for each workload.

    :param records: DataFrame with any of :data:`RECORD_COLUMNS`, one row
        per workload in the order of the features, or None.
    :returns: ``(log_odds, evidence)``: a ``(rows, classes)`` array and a
        list per row of ``{'source', 'value', 'points_to'}`` dicts.
    """
    log_odds = np.zeros((rows, len(CLASSES)))
    evidence = [[] for _ in range(rows)]
    if records is None or rows == 0:
        return log_odds, evidence

    declared = _column(records, 'type', rows)
    for label in CLASSES:
        hit = np.array([value == label for value in declared])
        log_odds[hit, CLASSES.index(label)] += DECLARED_LOG_ODDS
        for row in np.flatnonzero(hit):
            evidence[row].append({'source': 'declared_type',
                                  'value': label, 'points_to': label})

    for name in ('image', 'tags', 'metadata'):
        values = _column(records, name, rows)
        hints = _hints(_text(values))
        # Words pointing to several classes say nothing.
        single = hints.sum(axis=1) == 1
        hints[~single] = 0
        log_odds += HINT_LOG_ODDS * hints
        for row in np.flatnonzero(single):
            label = CLASSES[int(np.argmax(hints[row]))]
            evidence[row].append({'source': name,
                                  'value': _text([values[row]])[0],
                                  'points_to': label})

    serving = CLASSES.index('serving')
    lifecycle = _column(records, 'lifecycle', rows)
    for value, weight, word in (
            ('ended', ENDED_LOG_ODDS, 'not serving'),
            ('long_running', LONG_RUNNING_LOG_ODDS, 'serving')):
        hit = np.array([v == value for v in lifecycle])
        log_odds[hit, serving] += weight
        for row in np.flatnonzero(hit):
            evidence[row].append({'source': 'lifecycle', 'value': value,
                                  'points_to': word})

    exposed = _column(records, 'network_exposed', rows)
    hit = np.array([v is True or v == 1 or v == 'true' for v in exposed])
    log_odds[hit, serving] += EXPOSED_LOG_ODDS
    for row in np.flatnonzero(hit):
        evidence[row].append({'source': 'network_exposed', 'value': True,
                              'points_to': 'serving'})
    return log_odds, evidence
