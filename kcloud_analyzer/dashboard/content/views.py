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

from django import urls
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tables as horizon_tables
from horizon.utils import memoized

from kcloud_analyzer.dashboard import api
from kcloud_analyzer.dashboard.content import tables
from kcloud_analyzer.dashboard import formatting

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
        try:
            return self.client().recommendation_list(**self.scope())
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to retrieve recommendations.'))
            return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['monthly_saving'] = formatting.savings(
            context['recommendations_table'].data)
        return context


class AdminIndexView(IndexView):
    table_classes = (tables.AdminWorkloadsTable, tables.RecommendationsTable)
    all_projects = True


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

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        workload, cost = self._workload_and_cost()
        resources = workload.get('resources') or {}
        context.update(
            workload=workload,
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
        return context
