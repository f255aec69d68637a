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
"""SQLAlchemy models of the store. The schema itself is created and
upgraded by the alembic migrations in ``db/migration``; a test checks that
both agree."""

from oslo_db.sqlalchemy import models
import sqlalchemy as sa
from sqlalchemy import orm

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigIntId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
Money = sa.Numeric(precision=20, scale=6)
#: measured quantities: double precision on every database (a plain
#: ``Float`` is single precision on MySQL and would round a sample to
#: about seven significant digits); PostgreSQL's FLOAT and SQLite's REAL
#: are double precision already
Real = sa.Float().with_variant(sa.Double(), 'mysql', 'mariadb')


class _Base(models.ModelBase, models.TimestampMixin):

    def as_dict(self):
        return {column.name: getattr(self, column.name)
                for column in self.__table__.columns}


BASE = orm.declarative_base(cls=_Base)


class Workload(BASE):
    """What a tenant runs: one instance, or a group sharing
    ``kcloud:workload_id``."""

    __tablename__ = 'workloads'
    __table_args__ = (
        sa.UniqueConstraint('workload_id', name='uniq_workloads0workload_id'),
        sa.Index('workloads_project_id_idx', 'project_id'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    workload_id = sa.Column(sa.String(255), nullable=False)
    name = sa.Column(sa.String(255), nullable=True)
    project_id = sa.Column(sa.String(255), nullable=False)
    status = sa.Column(sa.String(16), nullable=False, default='active')
    declared_type = sa.Column(sa.String(16), nullable=True)
    classified_type = sa.Column(sa.String(16), nullable=True)
    confidence = sa.Column(Real, nullable=True)
    classification = sa.Column(sa.JSON, nullable=True)
    resources = sa.Column(sa.JSON, nullable=False, default=dict)
    accelerator = sa.Column(sa.String(64), nullable=True)
    profile = sa.Column(sa.JSON, nullable=True)
    #: what the cloud's records say of it (merged over its instances):
    #: ``image``, ``tags``, ``metadata``, ``created_at``; the classifier's
    #: evidence (:mod:`kcloud_analyzer.workload_analyzer.evidence`)
    records = sa.Column(sa.JSON, nullable=True)
    started_at = sa.Column(sa.DateTime, nullable=True)
    ended_at = sa.Column(sa.DateTime, nullable=True)


class Instance(BASE):
    """A Nova instance and the workload it belongs to."""

    __tablename__ = 'instances'
    __table_args__ = (
        sa.Index('instances_workload_id_idx', 'workload_id'),
    )

    instance_id = sa.Column(sa.String(36), primary_key=True)
    workload_id = sa.Column(sa.String(255), nullable=False)
    project_id = sa.Column(sa.String(255), nullable=False)
    flavor = sa.Column(sa.JSON, nullable=True)
    #: the instance's image, tags, metadata and creation time, as the last
    #: Nova notification gave them
    records = sa.Column(sa.JSON, nullable=True)
    deleted_at = sa.Column(sa.DateTime, nullable=True)


class Image(BASE):
    """A Glance image's name, properties and tags, from Glance's
    notifications: Nova names an instance's image by UUID only, and the
    words of the name (``vllm``, ``deepspeed``, ...) are evidence of the
    class (:mod:`kcloud_analyzer.workload_analyzer.evidence`)."""

    __tablename__ = 'images'

    image_id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(255), nullable=True)
    properties = sa.Column(sa.JSON, nullable=True)
    tags = sa.Column(sa.JSON, nullable=True)


class InstancePort(BASE):
    """A Neutron port of a live Nova instance (the ``port_uuid`` of its
    ``ip_addresses``), so that the instance a floating IP points to is
    found by an index, not by reading every instance's records."""

    __tablename__ = 'instance_ports'
    __table_args__ = (
        sa.Index('instance_ports_port_id_idx', 'port_id'),
    )

    instance_id = sa.Column(sa.String(36), primary_key=True)
    port_id = sa.Column(sa.String(255), primary_key=True)


class FloatingIP(BASE):
    """A Neutron floating IP and the port (and instance) it points to:
    an instance reachable from outside is evidence of serving
    (:mod:`kcloud_analyzer.workload_analyzer.evidence`)."""

    __tablename__ = 'floating_ips'
    __table_args__ = (
        sa.Index('floating_ips_port_id_idx', 'port_id'),
        sa.Index('floating_ips_device_id_idx', 'device_id'),
    )

    floatingip_id = sa.Column(sa.String(36), primary_key=True)
    project_id = sa.Column(sa.String(255), nullable=True)
    #: the port it is associated with; None when not associated
    port_id = sa.Column(sa.String(36), nullable=True)
    #: the Nova instance owning that port, when Neutron names it
    #: (``port_details``, Neutron's ``fip-port-details`` extension)
    device_id = sa.Column(sa.String(36), nullable=True)


class WorkloadResourceChange(BASE):
    """The resources of a workload from ``changed_at`` on.

    A row is added whenever a workload's resources or accelerator model
    change (a Nova resize, an instance added or deleted, an update
    through the API), so that an hour priced again later
    (``kcloud-analyzer-manage cost reprocess``, rollups that arrived
    late) is priced with the resources in force then, not with today's.
    """

    __tablename__ = 'workload_resource_changes'
    __table_args__ = (
        sa.Index('workload_resource_changes_workload_idx', 'workload_id',
                 'changed_at'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    workload_id = sa.Column(sa.String(255), nullable=False)
    changed_at = sa.Column(sa.DateTime, nullable=False)
    resources = sa.Column(sa.JSON, nullable=False)
    accelerator = sa.Column(sa.String(64), nullable=True)


class UsageRollup(BASE):
    """Samples of one metric of one workload folded into one window."""

    __tablename__ = 'usage_rollups'
    __table_args__ = (
        sa.UniqueConstraint('workload_id', 'metric', 'window_start',
                            name='uniq_usage_rollups0workload0metric0window'),
        sa.Index('usage_rollups_window_start_idx', 'window_start'),
    )

    id = sa.Column(BigIntId, primary_key=True, autoincrement=True)
    workload_id = sa.Column(sa.String(255), nullable=False)
    metric = sa.Column(sa.String(64), nullable=False)
    window_start = sa.Column(sa.DateTime, nullable=False)
    mean = sa.Column(Real, nullable=False)
    min = sa.Column(Real, nullable=False)
    max = sa.Column(Real, nullable=False)
    count = sa.Column(sa.Integer, nullable=False)


class IngestedMessage(BASE):
    """Message ids already folded into rollups: a redelivered message is
    recognised and never counted twice."""

    __tablename__ = 'ingested_messages'
    __table_args__ = (
        sa.Index('ingested_messages_created_at_idx', 'created_at'),
    )

    message_id = sa.Column(sa.String(64), primary_key=True)


class PollWatermark(BASE):
    """The last collection-interval slot of one polling target whose poll
    is stored: whoever owns the target next polls from the slot after it
    (backfill), whichever agent polled it before."""

    __tablename__ = 'poll_watermarks'

    collector = sa.Column(sa.String(64), primary_key=True)
    target = sa.Column(sa.String(255), primary_key=True)
    #: ``int(epoch seconds // collection_interval)`` of the poll
    slot = sa.Column(sa.BigInteger, nullable=False)
    #: the coordination member id of the agent that stored it
    polled_by = sa.Column(sa.String(255), nullable=True)


class _Amounts:
    """The currency, cost lines, energy and carbon that an hourly cost
    record, a daily or monthly total and a group total all carry."""

    currency = sa.Column(sa.String(3), nullable=False)
    compute = sa.Column(Money, nullable=False, default=0)
    gpu = sa.Column(Money, nullable=False, default=0)
    npu = sa.Column(Money, nullable=False, default=0)
    storage = sa.Column(Money, nullable=False, default=0)
    network = sa.Column(Money, nullable=False, default=0)
    energy = sa.Column(Money, nullable=False, default=0)
    idle = sa.Column(Money, nullable=False, default=0)
    total = sa.Column(Money, nullable=False, default=0)
    energy_kwh = sa.Column(Real, nullable=True)
    #: the part of energy_kwh that was estimated, not measured
    estimated_kwh = sa.Column(Real, nullable=True)
    carbon_kg = sa.Column(Real, nullable=True)


class _CostLines(_Amounts):
    """What an hourly cost record and a workload's total carry: the
    amounts, and the workload's type and accelerator."""

    workload_type = sa.Column(sa.String(16), nullable=True)
    accelerator = sa.Column(sa.String(64), nullable=True)


class CostRecord(_CostLines, BASE):
    """The cost of one workload in one hour, on one basis."""

    __tablename__ = 'cost_records'
    __table_args__ = (
        sa.UniqueConstraint('workload_id', 'hour', 'basis',
                            name='uniq_cost_records0workload0hour0basis'),
        sa.Index('cost_records_project_hour_idx', 'project_id', 'hour'),
        sa.Index('cost_records_hour_idx', 'hour'),
    )

    id = sa.Column(BigIntId, primary_key=True, autoincrement=True)
    workload_id = sa.Column(sa.String(255), nullable=False)
    project_id = sa.Column(sa.String(255), nullable=False)
    hour = sa.Column(sa.DateTime, nullable=False)
    basis = sa.Column(sa.String(16), nullable=False, default='allocation')


class CostTotal(_CostLines, BASE):
    """The sum of the hourly cost records of one day or one month, for a
    workload or a project, on one basis.

    Kept in the transaction that writes the hourly records (see
    ``db.api.costs``), so a cost lookup sums at most a few dozen rows
    whatever its window. ``workload_type`` and ``accelerator`` are those
    of the newest hour in the period (None for a project).
    """

    __tablename__ = 'cost_totals'
    __table_args__ = (
        sa.UniqueConstraint(
            'scope', 'scope_id', 'period', 'period_start', 'basis',
            name='uniq_cost_totals0scope0scope_id0period0start0basis'),
        sa.Index('cost_totals_project_period_idx', 'project_id', 'period',
                 'period_start'),
        sa.Index('cost_totals_period_idx', 'period', 'period_start'),
        # a summary by project reads the project rows of a window only
        sa.Index('cost_totals_scope_period_idx', 'scope', 'period',
                 'period_start'),
    )

    id = sa.Column(BigIntId, primary_key=True, autoincrement=True)
    scope = sa.Column(sa.String(16), nullable=False)
    scope_id = sa.Column(sa.String(255), nullable=False)
    project_id = sa.Column(sa.String(255), nullable=False)
    period = sa.Column(sa.String(8), nullable=False)
    period_start = sa.Column(sa.DateTime, nullable=False)
    basis = sa.Column(sa.String(16), nullable=False)
    hours = sa.Column(sa.Integer, nullable=False)
    first_hour = sa.Column(sa.DateTime, nullable=False)
    last_hour = sa.Column(sa.DateTime, nullable=False)


class CostGroupTotal(_Amounts, BASE):
    """The cost of one project's workloads that share a workload type
    (``dimension`` 'type') or an accelerator ('accelerator'), on one basis
    and in one currency, in one hour, day or month; and, hourly only, of
    the whole project ('project').

    Kept in the transaction that writes the hourly records (see
    ``db.api.totals``): hours from the hourly records, days and months
    from the workload totals. A cost summary then reads about projects x
    groups rows a period whatever the number of workloads.
    ``group_value`` is the workload type, accelerator or project (None
    when there is none); ``group_key`` is ``'=' + group_value`` or ``''``
    for None, so the unique key holds no null.
    """

    __tablename__ = 'cost_group_totals'
    __table_args__ = (
        sa.UniqueConstraint(
            'dimension', 'project_id', 'group_key', 'period',
            'period_start', 'basis', 'currency',
            name='uniq_cost_group_totals0key'),
        sa.Index('cost_group_totals_period_idx', 'dimension', 'period',
                 'period_start'),
    )

    id = sa.Column(BigIntId, primary_key=True, autoincrement=True)
    dimension = sa.Column(sa.String(16), nullable=False)
    project_id = sa.Column(sa.String(255), nullable=False)
    group_key = sa.Column(sa.String(256), nullable=False)
    group_value = sa.Column(sa.String(255), nullable=True)
    period = sa.Column(sa.String(8), nullable=False)
    period_start = sa.Column(sa.DateTime, nullable=False)
    basis = sa.Column(sa.String(16), nullable=False)
    hours = sa.Column(sa.Integer, nullable=False)


class Prediction(BASE):
    """A predicted cost, with the model that made it."""

    __tablename__ = 'predictions'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='uniq_predictions0uuid'),
        sa.Index('predictions_workload_id_idx', 'workload_id'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    uuid = sa.Column(sa.String(36), nullable=False)
    workload_id = sa.Column(sa.String(255), nullable=True)
    project_id = sa.Column(sa.String(255), nullable=True)
    model_name = sa.Column(sa.String(64), nullable=False)
    model_version = sa.Column(sa.Integer, nullable=True)
    inputs = sa.Column(sa.JSON, nullable=False, default=dict)
    currency = sa.Column(sa.String(3), nullable=False)
    duration_hours = sa.Column(Real, nullable=False)
    cost_per_hour = sa.Column(Money, nullable=False)
    total = sa.Column(Money, nullable=False)
    lower = sa.Column(Money, nullable=True)
    upper = sa.Column(Money, nullable=True)


class ModelVersion(BASE):
    """A trained model file and what it was trained on."""

    __tablename__ = 'model_versions'
    __table_args__ = (
        sa.UniqueConstraint('name', 'version',
                            name='uniq_model_versions0name0version'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    name = sa.Column(sa.String(64), nullable=False)
    version = sa.Column(sa.Integer, nullable=False)
    trained_at = sa.Column(sa.DateTime, nullable=False)
    metrics = sa.Column(sa.JSON, nullable=False, default=dict)
    file = sa.Column(sa.String(1024), nullable=False)
    data = sa.Column(sa.JSON, nullable=False, default=dict)


class Recommendation(BASE):
    """A way to lower a workload's cost, with the saving and evidence."""

    __tablename__ = 'recommendations'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='uniq_recommendations0uuid'),
        sa.Index('recommendations_workload_id_idx', 'workload_id'),
        sa.Index('recommendations_project_id_idx', 'project_id'),
        sa.Index('recommendations_state_idx', 'state'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    uuid = sa.Column(sa.String(36), nullable=False)
    workload_id = sa.Column(sa.String(255), nullable=False)
    project_id = sa.Column(sa.String(255), nullable=False)
    kind = sa.Column(sa.String(64), nullable=False)
    action = sa.Column(sa.Text, nullable=False)
    monthly_saving = sa.Column(Money, nullable=False)
    #: energy the recommendation promises to save a month (kWh), None
    #: where its effect on energy is not known
    monthly_kwh = sa.Column(Real, nullable=True)
    currency = sa.Column(sa.String(3), nullable=False)
    confidence = sa.Column(Real, nullable=False)
    evidence = sa.Column(sa.JSON, nullable=False, default=dict)
    #: ``open`` until Nova shows it acted on, then ``applied``
    state = sa.Column(sa.String(16), nullable=False, default='open',
                      server_default='open')
    applied_at = sa.Column(sa.DateTime, nullable=True)
    #: what Nova showed: ``resize``, ``delete`` or
    #: ``accelerators_released``
    applied_change = sa.Column(sa.String(32), nullable=True)
    #: measured from the cost records once the window after the change
    #: has passed (see :mod:`kcloud_analyzer.jobs.efficacy`)
    realised_monthly_saving = sa.Column(Money, nullable=True)
    realised_monthly_kwh = sa.Column(Real, nullable=True)
    realised_at = sa.Column(sa.DateTime, nullable=True)
