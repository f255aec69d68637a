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
import re

from oslo_config import cfg
from oslo_context import context as oslo_context
from oslo_policy import policy
import pytest

from kcloud_analyzer import policies

PROJECT_A = 'a' * 32
PROJECT_B = 'b' * 32

# Keystone's implied roles: a token granted "member" also carries "reader".
PERSONAS = {
    # the administrator of project A
    'admin': {'roles': ['admin', 'member', 'reader'],
              'project_id': PROJECT_A},
    'system_admin': {'roles': ['admin', 'member', 'reader'],
                     'system_scope': 'all'},
    'system_reader': {'roles': ['reader'], 'system_scope': 'all'},
    'member_a': {'roles': ['member', 'reader'], 'project_id': PROJECT_A},
    'reader_a': {'roles': ['reader'], 'project_id': PROJECT_A},
    'member_b': {'roles': ['member', 'reader'], 'project_id': PROJECT_B},
}


@pytest.fixture
def enforcer(tmp_path):
    conf = cfg.ConfigOpts()
    conf([], default_config_files=[])
    enforcer = policies.make_enforcer(conf)
    # No operator file: only the defaults registered in code apply.
    conf.set_override('policy_file', str(tmp_path / 'absent.yaml'),
                      group='oslo_policy')
    return enforcer


def allowed(enforcer, persona, rule, project_id=PROJECT_A):
    context = oslo_context.RequestContext(**PERSONAS[persona])
    try:
        policies.authorize(enforcer, rule, context,
                           {'project_id': project_id})
    except (policy.PolicyNotAuthorized, policy.InvalidScope):
        return False
    return True


def test_names_follow_the_convention():
    names = [rule.name for rule in policies.list_rules()
             if isinstance(rule, policy.DocumentedRuleDefault)]
    assert names
    for name in names:
        assert re.fullmatch(r'kcloud-analyzer:[a-z_]+:[a-z_]+', name), name
    assert len(names) == len(set(names))


def test_every_documented_rule_has_operations_and_scope():
    for rule in policies.list_rules():
        if isinstance(rule, policy.DocumentedRuleDefault):
            assert rule.operations, rule.name
            assert rule.scope_types, rule.name
            assert set(rule.scope_types) <= {'project', 'system'}


@pytest.mark.parametrize('rule', [
    'kcloud-analyzer:workload:get', 'kcloud-analyzer:cost:get',
    'kcloud-analyzer:metric:list', 'kcloud-analyzer:recommendation:list'])
def test_project_reads(enforcer, rule):
    assert allowed(enforcer, 'reader_a', rule, PROJECT_A)
    assert allowed(enforcer, 'member_a', rule, PROJECT_A)
    assert not allowed(enforcer, 'member_b', rule, PROJECT_A)
    assert not allowed(enforcer, 'reader_a', rule, PROJECT_B)
    # a project-scoped admin sees its own project only
    assert allowed(enforcer, 'admin', rule, PROJECT_A)
    assert not allowed(enforcer, 'admin', rule, PROJECT_B)
    assert allowed(enforcer, 'system_admin', rule, PROJECT_B)
    assert allowed(enforcer, 'system_reader', rule, PROJECT_B)


@pytest.mark.parametrize('rule', [
    'kcloud-analyzer:analysis:create', 'kcloud-analyzer:prediction:create'])
def test_writes_need_member(enforcer, rule):
    assert allowed(enforcer, 'member_a', rule, PROJECT_A)
    assert allowed(enforcer, 'admin', rule, PROJECT_A)
    assert not allowed(enforcer, 'admin', rule, PROJECT_B)
    assert not allowed(enforcer, 'reader_a', rule, PROJECT_A)
    assert not allowed(enforcer, 'member_b', rule, PROJECT_A)
    # Writes are project-scoped: a system-scoped token is the wrong scope.
    assert not allowed(enforcer, 'system_reader', rule, PROJECT_A)
    assert not allowed(enforcer, 'system_admin', rule, PROJECT_A)


@pytest.mark.parametrize('rule', [
    'kcloud-analyzer:workload:list_all_projects',
    'kcloud-analyzer:cost:summary_all_projects',
    'kcloud-analyzer:metric:list_all_projects',
    'kcloud-analyzer:recommendation:list_all_projects'])
def test_cross_project_listing(enforcer, rule):
    assert allowed(enforcer, 'system_admin', rule)
    assert allowed(enforcer, 'system_reader', rule)
    assert not allowed(enforcer, 'admin', rule)
    assert not allowed(enforcer, 'member_a', rule)
    assert not allowed(enforcer, 'reader_a', rule)


def test_rates_are_readable_by_any_reader(enforcer):
    rule = 'kcloud-analyzer:rate:list'
    for persona in PERSONAS:
        assert allowed(enforcer, persona, rule, PROJECT_B)


def test_operator_file_overrides_a_default(tmp_path):
    policy_file = tmp_path / 'policy.yaml'
    policy_file.write_text('"kcloud-analyzer:rate:list": "role:admin"\n')
    config_file = tmp_path / 'kcloud-analyzer.conf'
    config_file.write_text('[oslo_policy]\npolicy_file = %s\n' % policy_file)
    conf = cfg.ConfigOpts()
    conf([], default_config_files=[str(config_file)])
    enforcer = policies.make_enforcer(conf)
    assert not allowed(enforcer, 'reader_a', 'kcloud-analyzer:rate:list')
    assert allowed(enforcer, 'admin', 'kcloud-analyzer:rate:list')


def test_reprocessing_is_for_the_cloud_administrator(enforcer):
    rule = 'kcloud-analyzer:cost:reprocess'
    assert allowed(enforcer, 'system_admin', rule)
    for persona in ('admin', 'system_reader', 'member_a', 'reader_a'):
        assert not allowed(enforcer, persona, rule), persona


def _enforcer_with(tmp_path, policy_text=None, options=''):
    config_file = tmp_path / 'kcloud-analyzer.conf'
    policy_file = tmp_path / 'policy.yaml'
    if policy_text is not None:
        policy_file.write_text(policy_text)
    config_file.write_text('[oslo_policy]\npolicy_file = %s\n%s'
                           % (policy_file, options))
    conf = cfg.ConfigOpts()
    conf([], default_config_files=[str(config_file)])
    return policies.make_enforcer(conf)


def test_an_explicit_admin_all_projects_rule_opens_every_project(tmp_path):
    enforcer = _enforcer_with(
        tmp_path, '"admin_all_projects": "role:admin"\n')
    assert allowed(enforcer, 'admin', 'kcloud-analyzer:workload:get',
                   PROJECT_B)
    assert allowed(enforcer, 'admin',
                   'kcloud-analyzer:workload:list_all_projects')
    assert allowed(enforcer, 'admin', 'kcloud-analyzer:cost:reprocess')
    # members are not concerned
    assert not allowed(enforcer, 'member_a', 'kcloud-analyzer:workload:get',
                       PROJECT_B)


def test_the_old_defaults_apply_without_enforce_new_defaults(tmp_path):
    enforcer = _enforcer_with(tmp_path,
                              options='enforce_new_defaults = false\n')
    assert allowed(enforcer, 'admin', 'kcloud-analyzer:workload:get',
                   PROJECT_B)
    assert allowed(enforcer, 'admin',
                   'kcloud-analyzer:metric:list_all_projects')
    assert not allowed(enforcer, 'member_a', 'kcloud-analyzer:workload:get',
                       PROJECT_B)


def test_a_project_admin_token_is_checked_against_the_target(enforcer):
    # the rule the API checks for a workload of another project
    assert not allowed(enforcer, 'admin', 'kcloud-analyzer:cost:get',
                       PROJECT_B)
    assert allowed(enforcer, 'admin', 'kcloud-analyzer:cost:get', PROJECT_A)


def test_an_edited_policy_file_applies_after_the_next_look(
        tmp_path, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(policies.time, 'monotonic', lambda: now[0])
    enforcer = _enforcer_with(tmp_path, '{}\n')
    rule = 'kcloud-analyzer:workload:get'
    looks = []
    load_policy_file = enforcer._load_policy_file
    monkeypatch.setattr(enforcer, '_load_policy_file',
                        lambda *a, **k: looks.append(a) or
                        load_policy_file(*a, **k))
    assert allowed(enforcer, 'member_a', rule)
    assert allowed(enforcer, 'member_a', rule)
    assert len(looks) == 1
    (tmp_path / 'policy.yaml').write_text('"%s": "!"\n' % rule)
    # Within a second of the last look the file is not read again...
    now[0] += policies.RELOAD_CHECK_SECONDS / 2
    assert allowed(enforcer, 'member_a', rule)
    assert len(looks) == 1
    # ...after it, the edit applies.
    now[0] += policies.RELOAD_CHECK_SECONDS
    assert not allowed(enforcer, 'member_a', rule)
    assert len(looks) == 2
