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
"""The summary cache's key: a generation token in the cache backend."""

from unittest import mock

import pytest

from kcloud_analyzer.api import cache
from kcloud_analyzer import service


@pytest.fixture
def conf():
    conf = service.prepare_service([], default_config_files=[])
    conf.set_override('enabled', True, group='cache')
    conf.set_override('backend', 'dogpile.cache.memory', group='cache')
    return conf


class Counter:

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {'answer': self.calls}


PARAMS = {'group_by': 'project', 'project_id': 'p1'}


def test_cached_until_cost_records_change(conf):
    summaries = cache.SummaryCache(conf)
    create = Counter()
    assert summaries.get_or_create(None, PARAMS, create) == {'answer': 1}
    assert summaries.get_or_create(None, PARAMS, create) == {'answer': 1}
    assert create.calls == 1
    cache.cost_records_changed(conf)
    assert summaries.get_or_create(None, PARAMS, create) == {'answer': 2}
    assert summaries.get_or_create(None, PARAMS, create) == {'answer': 2}


def test_writer_and_reader_share_the_region(conf):
    # One region per configuration object: the writer's replacement is
    # what a request of the same process reads.
    assert cache.region(conf) is cache.region(conf)
    assert cache.SummaryCache(conf).region is cache.region(conf)
    before = cache.generation(cache.region(conf))
    cache.cost_records_changed(conf)
    assert cache.generation(cache.region(conf)) != before


def test_missing_generation_draws_a_new_token(conf):
    region = cache.region(conf)
    first = cache.generation(region)
    assert cache.generation(region) == first
    region.delete(cache.GENERATION_KEY)
    assert cache.generation(region) != first


def test_disabled_cache_computes_every_time(conf):
    conf.set_override('enabled', False, group='cache')
    summaries = cache.SummaryCache(conf)
    create = Counter()
    summaries.get_or_create(None, PARAMS, create)
    summaries.get_or_create(None, PARAMS, create)
    assert create.calls == 2
    cache.cost_records_changed(conf)   # nothing to do, no error


def test_unreachable_backend_computes_and_writer_goes_on(conf, caplog):
    summaries = cache.SummaryCache(conf)
    create = Counter()
    with mock.patch.object(summaries.region, 'get_multi',
                           side_effect=ConnectionError('refused')):
        assert summaries.get_or_create(None, PARAMS, create) == {
            'answer': 1}
    with mock.patch.object(cache.region(conf), 'set',
                           side_effect=ConnectionError('refused')):
        cache.cost_records_changed(conf)
    assert 'Could not replace the cost generation' in caplog.text


def test_key_depends_on_params():
    assert cache.SummaryCache.key(PARAMS) == cache.SummaryCache.key(
        dict(reversed(PARAMS.items())))
    assert cache.SummaryCache.key(PARAMS) != cache.SummaryCache.key(
        dict(PARAMS, project_id='p2'))


def test_entry_of_another_generation_is_not_served(conf):
    # An entry stored under a token the writers have replaced since (a
    # summary computed while a write committed) is computed again.
    summaries = cache.SummaryCache(conf)
    region = cache.region(conf)
    region.set(summaries.key(PARAMS), ('old-token', {'answer': 0}))
    create = Counter()
    assert summaries.get_or_create(None, PARAMS, create) == {'answer': 1}
    assert summaries.get_or_create(None, PARAMS, create) == {'answer': 1}
    assert region.get(summaries.key(PARAMS)) == (
        cache.generation(region), {'answer': 1})


def test_one_round_trip_per_cached_answer(conf):
    summaries = cache.SummaryCache(conf)
    summaries.get_or_create(None, PARAMS, Counter())
    with mock.patch.object(summaries.region, 'get_multi',
                           wraps=summaries.region.get_multi) as reads, \
            mock.patch.object(summaries.region, 'get',
                              wraps=summaries.region.get) as single:
        assert summaries.get_or_create(None, PARAMS, Counter()) == {
            'answer': 1}
    assert reads.call_count == 1
    assert single.call_count == 0
