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
"""The alert rules and the Grafana dashboard name only exported metrics."""

import json
import pathlib
import re

from prometheus_client import parser
import pytest
import yaml

from kcloud_analyzer.api import prometheus as api_prometheus
from kcloud_analyzer.common import prometheus

ETC = pathlib.Path(__file__).parents[2] / 'etc'
ALERTS = ETC / 'prometheus' / 'kcloud-analyzer-alerts.yaml'
DASHBOARD = ETC / 'grafana' / 'kcloud-analyzer-dashboard.json'

#: series Prometheus makes itself for every target
PROMETHEUS_OWN = {'up'}

_PROMQL_WORDS = {
    'and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left',
    'group_right', 'offset', 'bool', 'sum', 'min', 'max', 'avg', 'count',
    'topk', 'bottomk', 'quantile', 'stddev', 'stdvar', 'count_values',
    'group'}


def metric_names(expression):
    """Series names an expression selects (not functions, keywords or
    label names)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)
    text = re.sub(r'\{[^}]*\}', ' ', text)          # label matchers
    text = re.sub(r'\[[^\]]*\]', ' ', text)         # ranges
    text = re.sub(r'\b(by|without|on|ignoring|group_left|group_right)\s*'
                  r'\([^)]*\)', ' ', text)          # label lists
    text = re.sub(r'(?<![\w:])\d+(\.\d+)?([eE][-+]?\d+)?'
                  r'(ms|[smhdwy])?(?![\w:])', ' ', text)  # numbers, durations
    names = set()
    for match in re.finditer(r'[A-Za-z_:][A-Za-z0-9_:]*', text):
        name = match.group()
        rest = text[match.end():].lstrip()
        if rest.startswith('(') or name in _PROMQL_WORDS:
            continue
        names.add(name)
    return names


_SUFFIXES = {'counter': ('_total',), 'histogram': ('_bucket', '_sum',
                                                  '_count'),
             'summary': ('_sum', '_count'), 'gauge': ('',)}


def _names(exposition):
    """Series names of an exposition, also of families that have no
    sample yet (a labelled counter before its first increment)."""
    found = set()
    for family in parser.text_string_to_metric_families(
            exposition.decode()):
        found.update(sample.name for sample in family.samples)
        found.update(family.name + suffix
                     for suffix in _SUFFIXES.get(family.type, ('',)))
    return found


def exported():
    """Every series name the agent and the API export."""
    names = _names(prometheus.exposition())
    metrics = api_prometheus.Metrics(lambda: {
        'samples_ingested': 1, 'workloads_by_type': {'training': 1},
        'cost_per_hour': {('USD', 'gpu'): 1.0}})
    application = metrics.middleware(
        lambda environ, start_response: start_response('200 OK', []) or [])
    application({'REQUEST_METHOD': 'GET', 'PATH_INFO': '/'},
                lambda status, headers, exc_info=None: None)
    names |= _names(metrics.exposition())
    return names


def _alert_rules():
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document['groups'] for rule in group['rules']]


def _dashboard_expressions():
    document = json.loads(DASHBOARD.read_text())
    return [(panel['title'], target['expr'])
            for panel in document['panels'] for target in panel['targets']]


def test_the_parser_finds_names():
    assert metric_names(
        'sum by (task) (rate(a_total{task="x"}[5m])) / on() b > 0.5 '
        'and time() - c offset 1h') == {'a_total', 'b', 'c'}


def test_the_required_alerts_exist():
    names = {rule['alert'] for rule in _alert_rules()}
    assert {'KcloudAnalyzerIngestStalled', 'KcloudAnalyzerDeadLetterGrowing',
            'KcloudAnalyzerRingMemberMissing',
            'KcloudAnalyzerCostJobLate'} <= names


@pytest.mark.parametrize('rule', _alert_rules(), ids=lambda r: r['alert'])
def test_every_alert_names_exported_metrics(rule):
    names = metric_names(rule['expr'])
    assert names, rule['expr']
    assert names <= exported() | PROMETHEUS_OWN, rule['expr']
    assert rule['labels']['severity'] in ('warning', 'critical')
    assert rule['annotations']['summary']


@pytest.mark.parametrize('panel,expression', _dashboard_expressions(),
                         ids=lambda value: value if ' ' in value else '')
def test_every_dashboard_query_names_exported_metrics(panel, expression):
    names = metric_names(expression)
    assert names, expression
    assert names <= exported() | PROMETHEUS_OWN, expression
