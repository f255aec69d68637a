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
"""Views of the Workload Analyzer panels.

The project panel limits every listing to the user's current project; the
admin panel lists every project's workloads (the API's policy decides
whether the user may).
"""

import datetime

from django import urls
from django.utils import safestring
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import messages
from horizon import tables as horizon_tables
from horizon.utils import memoized
from openstack_dashboard.api import keystone

from kcloud_analyzer_dashboard import api
from kcloud_analyzer_dashboard import charts
from kcloud_analyzer_dashboard.content import tables
from kcloud_analyzer_dashboard import formatting
from kcloud_analyzer_dashboard import reports

COST_LINES = ('compute', 'gpu', 'npu', 'storage', 'network', 'energy')

#: (profile section, figure, label) shown on the detail page, when known
PROFILE_FIGURES = (
    ('resource', 'primary_metric', _('Primary metric')),
    ('resource', 'observed_hours', _('Observed hours')),
    ('resource', 'gpu_utilization.mean', _('GPU utilisation, mean (%)')),
    ('resource', 'gpu_utilization.p95', _('GPU utilisation, p95 (%)')),
    ('resource', 'gpus_used', _('GPUs used (mean)')),
    ('resource', 'npu_utilization.mean', _('NPU utilisation, mean (%)')),
    ('resource', 'npus_used', _('NPUs used (mean)')),
    ('resource', 'cpu_utilization.mean', _('CPU utilisation, mean (%)')),
    ('resource', 'memory_utilization.mean',
     _('Memory utilisation, mean (%)')),
    ('resource', 'burstiness', _('Burstiness')),
    ('energy', 'energy_kwh', _('Energy (kWh)')),
    ('energy', 'estimated_kwh', _('Energy estimated, not measured (kWh)')),
    ('energy', 'average_power_w', _('Average power (W)')),
    ('energy', 'power_pattern', _('Power pattern')),
)

#: days of usage the workload page charts
USAGE_DAYS = 7

RESOURCE_FIELDS = (
    ('cpu_cores', _('vCPUs')),
    ('memory_gb', _('Memory (GB)')),
    ('gpu_count', _('GPUs')),
    ('npu_count', _('NPUs')),
    ('accelerator', _('Accelerator')),
    ('storage_gb', _('Storage (GB)')),
)


def profile_summary(profile):
    """The figures of :data:`PROFILE_FIGURES` present in ``profile``."""
    profile = profile or {}
    rows = []
    for section, figure, label in PROFILE_FIGURES:
        value = (profile.get(section) or {}).get(figure)
        if value is not None:
            rows.append({'label': label, 'value': formatting.figure(value)})
    return rows


def cost_lines(cost):
    """One row per cost line: the latest hour's cost and the total."""
    currency = cost['currency']
    per_hour = cost.get('cost_breakdown') or {}
    totals = cost['totals']
    rows = [{'line': line,
             'per_hour': formatting.money(per_hour.get(line), currency),
             'total': formatting.money(totals.get(line), currency)}
            for line in COST_LINES]
    # Idle cost is the part of the lines above paid for allocated but
    # unused capacity, not a line of its own.
    rows.append({'line': _('of which idle'), 'per_hour': '',
                 'total': formatting.money(totals.get('idle'), currency)})
    return rows


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _iso(moment):
    return moment.isoformat(timespec='seconds') + 'Z'


class _AnalyzerView:
    """The API client of a request, and the listing scope of the panel
    the view belongs to."""

    all_projects = False

    @memoized.memoized_method
    def client(self):
        return api.client(self.request)

    def scope(self):
        if self.all_projects:
            return {}
        return {'project_id': self.request.user.project_id}

    @memoized.memoized_method
    def recommendations(self, state='open'):
        """The open recommendations (the savings still available), or
        those of ``state``."""
        try:
            return self.client().recommendation_list(state=state,
                                                     **self.scope())
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to retrieve recommendations.'))
            return []

    @memoized.memoized_method
    def date_range(self):
        """The (start, end, period) the page shows, from its form."""
        today = _utcnow().date()
        try:
            return reports.date_range(self.request.GET, today)
        except reports.RangeError as error:
            messages.error(self.request, str(error))
            return reports.date_range({}, today)

    def cost_chart(self):
        """The cost of the range, stacked by line, per hour or day."""
        start, end, period = self.date_range()
        try:
            summary = self.client().cost_summary(
                group_by='project', period=period, start=_iso(start),
                end=_iso(end), **self.scope())['summary']
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve costs.'))
            summary = []
        labels, series = reports.cost_over_time(summary, start, end, period)
        amount, currency = reports.total(summary)
        chart = charts.stacked_bars(
            labels, series, currency or '', str(_('Cost over time')),
            empty=str(_('No cost recorded in this range.')))
        return {'chart': safestring.mark_safe(chart),  # noqa: S308
                'total': formatting.money(amount, currency)
                if summary else '-'}

    def month_figures(self):
        """Month-to-date spend and the month-end forecast."""
        now = _utcnow()
        figures = {'month_to_date': '-', 'forecast': '-',
                   'forecast_interval': ''}
        try:
            summary = self.client().cost_summary(
                group_by='project', period='month',
                start=_iso(reports.month_start(now)), **self.scope())
            amount, currency = reports.total(summary['summary'])
            if summary['summary']:
                figures['month_to_date'] = formatting.money(amount,
                                                            currency)
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to retrieve this month\'s cost.'))
        try:
            forecast = reports.forecast_figures(
                self.client().cost_forecast(**self.scope()))
        except Exception:
            # An API without forecasts: the figure stays "-".
            forecast = None
        if forecast:
            amount, lower, upper, currency = forecast
            figures['forecast'] = formatting.money(amount, currency)
            if lower is not None and upper is not None:
                figures['forecast_interval'] = '%s – %s' % (
                    formatting.money(lower, currency),
                    formatting.money(upper, currency))
        return figures

    def range_context(self):
        start, end, period = self.date_range()
        return {'range_start': start.date().isoformat(),
                'range_end': (end - datetime.timedelta(days=1))
                .date().isoformat(),
                'range_period': period}


class IndexView(_AnalyzerView, horizon_tables.MultiTableView):
    table_classes = (tables.WorkloadsTable, tables.RecommendationsTable)
    template_name = 'kcloud_analyzer/workloads/index.html'
    page_title = _('Workload Analyzer')

    def get_workloads_data(self):
        try:
            workloads = self.client().workload_list(**self.scope())
            summary = self.client().cost_summary(
                group_by='workload', period='month', **self.scope())
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to retrieve workloads.'))
            return []
        totals = formatting.totals_by_workload(summary['summary'])
        for workload in workloads:
            workload['cost_to_date'], workload['currency'] = totals.get(
                workload['workload_id'], (None, None))
        return workloads

    def get_recommendations_data(self):
        return self.recommendations()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['monthly_saving'] = formatting.savings(
            context['recommendations_table'].data)
        context['cost'] = self.cost_chart()
        context.update(self.month_figures())
        context.update(self.range_context())
        return context


class AdminIndexView(IndexView):
    table_classes = (tables.AdminWorkloadsTable, tables.RecommendationsTable)
    template_name = 'kcloud_analyzer/workloads/admin_index.html'
    all_projects = True

    @memoized.memoized_method
    def project_names(self):
        try:
            projects, _more = keystone.tenant_list(self.request)
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to retrieve project names.'))
            return {}
        return {project.id: project.name for project in projects}

    def get_workloads_data(self):
        workloads = super().get_workloads_data()
        names = self.project_names()
        for workload in workloads:
            workload['project_name'] = names.get(workload['project_id'])
        return workloads

    def _breakdown(self, group_by, names=None):
        start, end, _period = self.date_range()
        try:
            summary = self.client().cost_summary(
                group_by=group_by, period='month', start=_iso(start),
                end=_iso(end))['summary']
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve costs.'))
            summary = []
        _amount, currency = reports.total(summary)
        return reports.totals_by_group(summary, names), currency or ''

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        names = self.project_names()
        by_project, currency = self._breakdown('project', names)
        by_accelerator, _currency = self._breakdown('accelerator')
        recommendations = context['recommendations_table'].data
        idle = [dict(item, project_name=names.get(item['project_id']))
                for item in recommendations
                if item['kind'] == 'idle_accelerator']
        context.update(
            by_project=safestring.mark_safe(  # noqa: S308
                charts.horizontal_bars(
                    by_project, reports.COST_LINES, currency,
                    str(_('Cost by project')),
                    empty=str(_('No cost recorded in this range.'))),
            ),
            by_accelerator=safestring.mark_safe(  # noqa: S308
                charts.horizontal_bars(
                    by_accelerator, reports.COST_LINES,
                    currency, str(_('Cost by accelerator model')),
                    empty=str(_('No cost recorded in this range.')))),
            savings_by_kind=safestring.mark_safe(  # noqa: S308
                charts.horizontal_bars(
                    reports.savings_by_kind(
                        recommendations, formatting.recommendation_kind),
                    ('saving',), currency + str(_(' a month')),
                    str(_('Savings available by kind')),
                    empty=str(_('No recommendation.')))),
            idle_accelerators=[
                {'workload_id': item['workload_id'],
                 'project': item['project_name'] or item['project_id'],
                 'accelerator': item['evidence'].get('accelerator', '-'),
                 'count': item['evidence'].get('count', '-'),
                 'utilization': formatting.figure(
                     item['evidence'].get('utilization_mean')),
                 'saving': formatting.money(item['monthly_saving'],
                                            item['currency'])}
                for item in idle],
            # Idle cost is the part of the lines above paid for unused
            # capacity: told apart, never stacked on them.
            idle_cost=formatting.money(
                sum(values['idle'] for _label, values in by_accelerator),
                currency) if by_accelerator else '-',
            idle_by_accelerator=[
                {'accelerator': label,
                 'cost': formatting.money(values['idle'], currency)}
                for label, values in by_accelerator if values['idle']],
            applied=reports.applied_rows(
                self.recommendations('applied'), names,
                formatting.recommendation_kind))
        return context


class DetailView(_AnalyzerView, horizon_tables.DataTableView):
    table_class = tables.RecommendationsTable
    template_name = 'kcloud_analyzer/workloads/detail.html'
    page_title = _('Workload {{ workload.workload_id }}')

    def _index_url(self):
        return urls.reverse('horizon:%s:workload_analyzer:index'
                            % self.request.horizon['dashboard'].slug)

    @memoized.memoized_method
    def _workload_and_cost(self):
        workload_id = self.kwargs['workload_id']
        try:
            return (self.client().workload_show(workload_id),
                    self.client().cost_show(workload_id))
        except Exception:
            exceptions.handle(
                self.request,
                _('Unable to retrieve workload "%s".') % workload_id,
                redirect=self._index_url())

    def get_data(self):
        # The workload first: one the user may not see sends them back to
        # the list with a single message.
        workload, _cost = self._workload_and_cost()
        try:
            return self.client().recommendation_list(
                workload_id=workload['workload_id'])
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to retrieve recommendations.'))
            return []

    def project_name(self, project_id):
        """The name of the workload's project in Keystone, None when
        Keystone does not give it."""
        user = self.request.user
        if project_id == user.project_id:
            # The project of the user's token: Keystone named it there.
            return user.project_name
        # An administrator looking at another project's workload.
        try:
            return keystone.tenant_get(self.request, project_id,
                                       admin=True).name
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to retrieve the project name.'))
            return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        workload, cost = self._workload_and_cost()
        resources = workload.get('resources') or {}
        context.update(
            workload=workload,
            project_name=self.project_name(workload['project_id']),
            workload_class=formatting.workload_class(workload),
            resources=[
                {'label': label, 'value': formatting.figure(resources[key])}
                for key, label in RESOURCE_FIELDS
                if resources.get(key) is not None],
            profile=profile_summary(workload.get('profile')),
            cost=cost,
            cost_per_hour=formatting.money(cost['cost_per_hour'],
                                           cost['currency']),
            cost_total=formatting.money(cost['totals']['total'],
                                        cost['currency']),
            cost_lines=cost_lines(cost),
            url=self._index_url())
        context.update(self.usage_charts(workload))
        return context

    def usage_charts(self, workload):
        """Utilisation and power over the last days the workload ran."""
        try:
            rollups = self.client().metric_list(
                workload_id=workload['workload_id'],
                start=_iso(self._usage_start(workload)))
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to retrieve the usage.'))
            rollups = []
        labels, utilisation = reports.metric_series(
            rollups, reports.UTILISATION_METRICS)
        power_labels, power = reports.metric_series(
            rollups, reports.POWER_METRICS)
        return {
            'utilisation_chart': safestring.mark_safe(  # noqa: S308
                charts.lines(labels, utilisation, '%',
                             str(_('Utilisation')), maximum=100,
                             empty=str(_('No usage recorded.')))),
            'power_chart': safestring.mark_safe(  # noqa: S308
                charts.lines(power_labels, power, 'W', str(_('Power')),
                             empty=str(_('No power recorded.'))))}

    @staticmethod
    def _usage_start(workload):
        # The last week the workload ran: a chart of months of 5-minute
        # windows would be neither readable nor quick.
        last = (reports.parse_time(workload.get('ended_at'))
                or _utcnow())
        return last - datetime.timedelta(days=USAGE_DAYS)
