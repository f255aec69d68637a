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
"""``/api/v1/cost``: a workload's cost, and summaries over many."""

import datetime

import pecan
from pecan import rest

from kcloud_analyzer.api import errors
from kcloud_analyzer.api import expose as api_expose
from kcloud_analyzer.api.expose import expose
from kcloud_analyzer.api.schemas import common
from kcloud_analyzer.api.schemas import cost as schema
from kcloud_analyzer.api import utils
from kcloud_analyzer.api import validation
from kcloud_analyzer.cost_model import forecast as forecast_lib
from kcloud_analyzer.cost_model import spend
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.jobs import costs as cost_jobs

_TOTAL_LINES = tuple(common.COST_LINES) + ('idle', 'total')


def _lines(row, names):
    return {name: utils.money(row.get(name)) or 0.0 for name in names}


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class ForecastController(rest.RestController):

    @expose('kcloud-analyzer:cost:forecast',
            query=schema.forecast_query, response=schema.forecast)
    def get_all(self, *, group_by='project', basis='allocation',
                project_id=None):
        """Month-end spend: so far this month, and the rest forecast."""
        scope = utils.project_scope(
            'kcloud-analyzer:cost:summary_all_projects', project_id)
        now = _utcnow()
        month_start, month_end = spend.month_bounds(now)
        return {
            'group_by': group_by,
            'basis': basis,
            'month_start': utils.iso(month_start),
            'month_end': utils.iso(month_end),
            'now': utils.iso(now),
            'interval_level': forecast_lib.DEFAULT_COVERAGE,
            'forecasts': cost_jobs.month_end_forecast(
                pecan.request.context, group_by, now, project_id=scope,
                basis=basis),
        }


class ReprocessController(rest.RestController):

    @expose('kcloud-analyzer:cost:reprocess',
            body=schema.reprocess_request, response=schema.reprocess)
    def post(self, *, body):
        """Recompute the cost records of a past window (admin)."""
        start = validation.parse_datetime(body['start'])
        end = validation.parse_datetime(body['end'])
        validation.check_range("body field 'start'", start)
        validation.check_range("body field 'end'", end)
        if start > end:
            raise errors.RequestInvalid(
                reason='Invalid body: start %sZ is after end %sZ.'
                % (start.isoformat(), end.isoformat()))
        result = cost_jobs.reprocess_costs(
            pecan.request.conf, pecan.request.context, start, end,
            project_id=body.get('project_id'))
        return dict(result, start=utils.iso(start), end=utils.iso(end),
                    project_id=body.get('project_id'))


class CostController(rest.RestController):

    forecast = ForecastController()
    reprocess = ReprocessController()

    @expose('kcloud-analyzer:cost:get',
            query=schema.get_query, response=schema.cost)
    def get_one(self, workload_id, *, start=None, end=None,
                basis='allocation'):
        """The seed's cost document of one workload, with totals."""
        totals = db_api.workload_cost(pecan.request.context, workload_id,
                                      start=start, end=end, basis=basis)
        utils.check_visible('kcloud-analyzer:cost:get', workload_id,
                            totals['project_id'])
        latest = totals['latest']
        result = {
            'workload_id': workload_id,
            'basis': basis,
            'timestamp': None,
            'cost_per_hour': None,
            'cost_breakdown': None,
            'currency': totals['currency'],
            'totals': dict(
                _lines(totals, _TOTAL_LINES),
                start=utils.iso(start or totals['first_hour']),
                # The end of the window: the end of the last hour counted
                # when the request gave none.
                end=utils.iso(end or (
                    totals['last_hour'] and
                    totals['last_hour'] + datetime.timedelta(hours=1))),
                hours=totals['hours'],
                energy_kwh=totals['energy_kwh'],
                estimated_kwh=totals['estimated_kwh'],
                carbon_kg=totals['carbon_kg']),
        }
        if latest is not None:
            result.update(
                timestamp=utils.iso(latest['hour']),
                cost_per_hour=utils.money(latest['total']),
                cost_breakdown=_lines(latest, common.COST_LINES))
        return result

    @expose('kcloud-analyzer:cost:summary',
            query=schema.summary_query, response=schema.summary)
    def get_all(self, *, group_by='project', period='day', start=None,
                end=None, basis='allocation', project_id=None):
        """Costs summed by group and period."""
        scope = utils.project_scope(
            'kcloud-analyzer:cost:summary_all_projects', project_id)
        context = pecan.request.context

        def summarise():
            rows = db_api.cost_summary(
                context, group_by, period, start=start, end=end,
                project_id=scope, basis=basis)
            return api_expose.dump_json({
                'group_by': group_by,
                'period': period,
                'basis': basis,
                'start': utils.iso(start),
                'end': utils.iso(end),
                'summary': [dict(
                    _lines(row, _TOTAL_LINES),
                    group=row['group'],
                    period_start=utils.iso(row['period_start']),
                    currency=row['currency'],
                    hours=row['hours'],
                    energy_kwh=row['energy_kwh'],
                    estimated_kwh=row['estimated_kwh'],
                    carbon_kg=row['carbon_kg']) for row in rows],
            })

        params = {'group_by': group_by, 'period': period,
                  'start': utils.iso(start), 'end': utils.iso(end),
                  'basis': basis, 'project_id': scope}
        # Cached encoded: an answer is sent as it was stored.
        return api_expose.Encoded(
            pecan.request.services.summary_cache.get_or_create(
                context, params, summarise))
