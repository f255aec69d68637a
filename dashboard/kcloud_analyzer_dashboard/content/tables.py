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
"""Tables of workloads and recommendations, shared by both panels."""

from django import urls
from django.utils.translation import gettext_lazy as _
from horizon import tables

from kcloud_analyzer_dashboard import formatting


def detail_link(datum, request):
    # One table serves the project and the admin panel: the link follows
    # the dashboard the page belongs to.
    return urls.reverse(
        'horizon:%s:workload_analyzer:detail'
        % request.horizon['dashboard'].slug, args=(datum['workload_id'],))


def cost_to_date(workload):
    return formatting.money(workload.get('cost_to_date'),
                            workload.get('currency'))


def monthly_saving(recommendation):
    return formatting.money(recommendation['monthly_saving'],
                            recommendation['currency'])


def project(workload):
    return workload.get('project_name') or workload['project_id']


def confidence(recommendation):
    return formatting.percent(recommendation.get('confidence'))


def expected_saving(recommendation):
    return formatting.money(recommendation.get('expected_monthly_saving'),
                            recommendation['currency'])


class WorkloadsTable(tables.DataTable):
    workload_id = tables.Column('workload_id', verbose_name=_('ID'),
                                link=detail_link)
    name = tables.Column('name', verbose_name=_('Name'))
    workload_class = tables.Column(formatting.workload_class,
                                   verbose_name=_('Class (confidence)'))
    accelerator = tables.Column('accelerator', verbose_name=_('Accelerator'))
    status = tables.Column('status', verbose_name=_('Status'))
    cost_to_date = tables.Column(cost_to_date,
                                 verbose_name=_('Cost to date'))

    def get_object_id(self, datum):
        return datum['workload_id']

    def get_object_display(self, datum):
        return datum.get('name') or datum['workload_id']

    class Meta:
        name = 'workloads'
        verbose_name = _('Workloads')


class AdminWorkloadsTable(WorkloadsTable):
    project_id = tables.Column(project, verbose_name=_('Project'))

    class Meta:
        name = 'workloads'
        verbose_name = _('Workloads')
        columns = ('workload_id', 'name', 'project_id', 'workload_class',
                   'accelerator', 'status', 'cost_to_date')


class RecommendationsTable(tables.DataTable):
    workload_id = tables.Column('workload_id', verbose_name=_('Workload'),
                                link=detail_link)
    kind = tables.Column(formatting.recommendation_kind,
                         verbose_name=_('Kind'))
    target = tables.Column(formatting.recommendation_target,
                           verbose_name=_('Target'))
    action = tables.Column('action', verbose_name=_('Recommendation'))
    monthly_saving = tables.Column(monthly_saving,
                                   verbose_name=_('Monthly saving'))
    confidence = tables.Column(confidence, verbose_name=_('Confidence'))
    expected_saving = tables.Column(
        expected_saving, verbose_name=_('Expected saving (x confidence)'))

    def get_object_id(self, datum):
        return datum['id']

    def get_object_display(self, datum):
        return datum['action']

    class Meta:
        name = 'recommendations'
        verbose_name = _('Recommendations')
