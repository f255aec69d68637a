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
"""The one adapter from the store to the analysis frames.

The analysis packages take two frames (see
:mod:`kcloud_analyzer.common.offline`): workloads, one row each in
:data:`~kcloud_analyzer.common.offline.WORKLOAD_COLUMNS`, and long-form
usage (``workload_id, timestamp, metric, value``). From the store, a
rollup stands for one sample at its window start with its mean.

Which type counts: **the type the tenant declared, else the one the
classifier found** (None while neither is known, and for ``unknown``).
Costs, recommendations and the cost model follow it (column ``type``,
with ``type_confidence``: 1 for a declared type, else the classifier's
confidence). The classifier never reads it: its evidence from the
cloud's records (:func:`records`) is the declared type, the image, tags and
metadata Nova's notifications gave (the workload's ``records``) and the
lifecycle.
"""

import datetime
import operator

import numpy as np
from oslo_log import log
import pandas as pd

from kcloud_analyzer.common import offline
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.workload_analyzer import calibration

LOG = log.getLogger(__name__)

#: rows read from the store per query
WORKLOAD_PAGE = 1000
ROLLUP_PAGE = 100000
#: workloads listed together by the agent's jobs
BATCH_WORKLOADS = 200
#: rollups analysed together: a batch of workloads is cut into parts of at
#: most this many rows (a workload with more is a part of its own), so
#: that memory is bounded by the part, not by the fleet nor by how many
#: metrics and days a workload has (a week of 5-minute rollups of ten
#: metrics is ~20k rows per workload)
BATCH_ROWS = 200000


def stored_workloads(context, status=None, declared_types=None):
    """Every stored workload (of ``status``, and of one of
    ``declared_types`` declared by its tenant, when given), page by
    page."""
    workloads, marker = [], None
    while True:
        page = db_api.workload_list(context, status=status,
                                    declared_types=declared_types,
                                    limit=WORKLOAD_PAGE, marker=marker)
        workloads += page
        if len(page) < WORKLOAD_PAGE:
            return workloads
        marker = page[-1]['workload_id']


def stored_rollups(context, start=None):
    """Every rollup of a window from ``start`` on, page by page."""
    rows, marker = [], None
    while True:
        page = db_api.rollup_list(context, start=start, limit=ROLLUP_PAGE,
                                  marker=marker)
        rows += page
        if len(page) < ROLLUP_PAGE:
            return rows
        marker = page[-1]['id']


#: the workloads frame: the offline columns, then what the store adds
COLUMNS = offline.WORKLOAD_COLUMNS + ('type_confidence', 'declared_type',
                                      'lifecycle', 'image', 'tags',
                                      'metadata', 'network_exposed')

#: an instance running at least this long since Nova created it is a
#: long-running one (:mod:`kcloud_analyzer.workload_analyzer.evidence`)
LONG_RUNNING = datetime.timedelta(hours=12)


def workload_type(workload):
    """The type that counts: declared, else classified (not unknown)."""
    if workload.get('declared_type'):
        return workload['declared_type']
    classified = workload.get('classified_type')
    return None if classified == calibration.UNKNOWN else classified


def type_confidence(workload):
    """How sure :func:`workload_type` is: a declared type is sure."""
    if workload.get('declared_type'):
        return 1.0
    return workload.get('confidence')


def lifecycle(workload, now=None):
    """``ended`` for a workload whose run ended, ``long_running`` for one
    Nova created :data:`LONG_RUNNING` or more before ``now`` (by its
    records' ``created_at``, not by how long telemetry was seen), else
    None."""
    if workload.get('status') == 'ended' or workload.get('ended_at'):
        return 'ended'
    created = (workload.get('records') or {}).get('created_at')
    if created:
        try:
            created = datetime.datetime.fromisoformat(created)
        except (TypeError, ValueError):
            return None
        if created.tzinfo is not None:
            created = created.astimezone(
                datetime.timezone.utc).replace(tzinfo=None)
        now = now or datetime.datetime.now(datetime.timezone.utc).replace(
            tzinfo=None)
        if now - created >= LONG_RUNNING:
            return 'long_running'
    return None


def image_text(image, images):
    """The image of a workload's records (a UUID, or a list of them) with
    the name, properties and tags Glance gave each (``images``:
    :func:`kcloud_analyzer.db.api.image_descriptions`), as one text."""
    ids = image if isinstance(image, list) else [image] if image else []
    parts = []
    for image_id in ids:
        parts.append(str(image_id))
        known = (images or {}).get(image_id)
        if known:
            parts.append(known.get('name') or '')
            parts.extend(f'{key} {value}' for key, value in
                         (known.get('properties') or {}).items())
            parts.extend(known.get('tags') or ())
    return ' '.join(p for p in parts if p) or None


def workload_frame(workloads, now=None, images=None):
    """The workloads frame (:data:`COLUMNS`) from stored workload dicts.

    :param images: ``{image_id: description}`` of the workloads' images
        (:func:`kcloud_analyzer.db.api.image_descriptions`): their names,
        properties and tags join the UUID in the ``image`` column.
    """
    resources = [w.get('resources') or {} for w in workloads]
    records = [w.get('records') or {} for w in workloads]

    def number(key, kind):
        return np.array([kind(r.get(key) or 0) for r in resources],
                        dtype=kind)

    frame = pd.DataFrame({
        'workload_id': pd.Series([w['workload_id'] for w in workloads],
                                 dtype=object),
        'type': pd.Series([workload_type(w) for w in workloads],
                          dtype=object),
        'cpu_cores': number('cpu_cores', float),
        'memory_gb': number('memory_gb', float),
        'gpu_count': number('gpu_count', int),
        'npu_count': number('npu_count', int),
        'accelerator': pd.Series(
            [w.get('accelerator') or r.get('accelerator')
             for w, r in zip(workloads, resources, strict=True)],
            dtype=object),
        'project_id': pd.Series([w['project_id'] for w in workloads],
                                dtype=object),
        'type_confidence': pd.Series(
            [type_confidence(w) for w in workloads], dtype=float),
        'declared_type': pd.Series(
            [w.get('declared_type') for w in workloads], dtype=object),
        'lifecycle': pd.Series([lifecycle(w, now) for w in workloads],
                               dtype=object),
        'image': pd.Series([image_text(r.get('image'), images)
                            for r in records], dtype=object),
        'tags': pd.Series([r.get('tags') for r in records], dtype=object),
        'metadata': pd.Series([r.get('metadata') for r in records],
                              dtype=object),
        # only an exposure seen counts: none seen says nothing
        'network_exposed': pd.Series(
            [True if r.get('network_exposed') else None for r in records],
            dtype=object),
    })
    return frame[list(COLUMNS)]


def records(workloads):
    """The cloud's records of the rows of ``workloads`` as the classifier
    takes them (:mod:`kcloud_analyzer.workload_analyzer.evidence`): the
    declared type, the lifecycle and, where the frame has them, the image,
    tags, metadata and network exposure."""
    columns = {'type': workloads['declared_type'].to_numpy(),
               'lifecycle': workloads['lifecycle'].to_numpy()}
    for name in ('image', 'tags', 'metadata', 'network_exposed'):
        if name in workloads:
            columns[name] = workloads[name].to_numpy()
    return pd.DataFrame(columns, index=workloads['workload_id'].to_numpy(),
                        dtype=object)


def usage_from_rollups(rollups):
    """Long-form usage, one sample per rollup window (its mean)."""
    if not rollups:
        return pd.DataFrame({
            'workload_id': pd.Series([], dtype=object),
            'timestamp': pd.to_datetime([], utc=True),
            'metric': pd.Series([], dtype=object),
            'value': pd.Series([], dtype=float)})
    frame = pd.DataFrame(rollups)
    return pd.DataFrame({
        'workload_id': frame['workload_id'].astype(object),
        'timestamp': pd.to_datetime(frame['window_start'], utc=True),
        'metric': frame['metric'].astype(object),
        'value': frame['mean'].astype(float),
    })


def categorical(values):
    """``values`` as a Categorical whose categories (object dtype) are in
    the order of first appearance: one pass of hashing, no sorting."""
    codes, names = pd.factorize(np.asarray(values, dtype=object))
    return pd.Categorical.from_codes(
        codes, categories=pd.Index(names, dtype=object), validate=False)


def usage_from_means(rows):
    """Long-form usage from :func:`db_api.rollup_means` rows.

    ``workload_id`` and ``metric`` are categorical: a batch has millions
    of rows of a few hundred workloads and about ten metrics, and pricing
    groups by both (:class:`kcloud_analyzer.common.usage_codes.UsageCodes`
    takes the codes as they are). The rows are turned into columns one
    column at a time: building a frame from the database's row objects
    directly costs pandas a type probe of every row (most of the read time
    on a week of rollups), and ``zip(*rows)`` (a call with an argument per
    row) cost seven times as much as reading each column with
    ``itemgetter``.
    """
    workload_ids, names, windows, means = (
        list(map(operator.itemgetter(i), rows)) for i in range(4))
    return pd.DataFrame({
        'workload_id': categorical(workload_ids),
        'timestamp': pd.to_datetime(windows, utc=True),
        'metric': categorical(names),
        'value': np.array(means, dtype=float),
    })


def _images(context, workloads):
    """The Glance descriptions of the images of ``workloads`` (dicts)."""
    ids = []
    for workload in workloads:
        image = (workload.get('records') or {}).get('image')
        ids.extend(image if isinstance(image, list) else [image])
    ids = [i for i in ids if i]
    return db_api.image_descriptions(context, ids) if ids else {}


def workload_batches(context, status=None, size=BATCH_WORKLOADS,
                     owns=None):
    """The stored workloads (of ``status``, when given) as workloads
    frames of at most ``size`` rows, page by page.

    :param owns: ``owns(workload_id)`` is true for the workloads this
        process analyses (an agent's share of the hash ring); all when
        None.
    """
    marker = None
    while True:
        page = db_api.workload_list(context, status=status, limit=size,
                                    marker=marker)
        mine = page if owns is None else [
            w for w in page if owns(w['workload_id'])]
        if mine:
            yield workload_frame(mine, images=_images(context, mine))
        if len(page) < size:
            return
        marker = page[-1]['workload_id']


def usage_of(context, workloads, start=None, end=None):
    """The usage of the rows of ``workloads`` from ``start`` to ``end``."""
    return usage_from_means(db_api.rollup_means(
        context, workloads['workload_id'], start=start, end=end))


def parts(sizes, limit):
    """Part number of each of ``sizes`` (in order): consecutive items
    whose sizes add up to at most ``limit`` share a part; an item larger
    than ``limit`` is a part of its own."""
    numbers, part, running = [], 0, 0
    for size in sizes:
        if running and running + size > limit:
            part, running = part + 1, 0
        numbers.append(part)
        running += size
    return numbers


def usage_parts(context, workloads, start=None, end=None, limit=None):
    """``(workloads, usage)`` of the rows of ``workloads`` that have usage
    from ``start`` to ``end``, in parts of at most ``limit`` rollups
    (:data:`BATCH_ROWS` by default; :func:`parts`; counted first with one
    grouped query)."""
    limit = BATCH_ROWS if limit is None else limit
    counts = db_api.rollup_counts(context, workloads['workload_id'],
                                  start=start, end=end)
    sizes = workloads['workload_id'].map(counts).fillna(0).astype(int)
    seen = workloads.loc[sizes.to_numpy() > 0]
    if seen.empty:
        return
    numbers = parts(sizes.loc[seen.index], limit)
    for _, part in seen.groupby(numbers, sort=True):
        part = part.reset_index(drop=True)
        yield part, usage_of(context, part, start=start, end=end)


def batches(context, start=None, end=None, status=None,
            size=BATCH_WORKLOADS, owns=None, rows=None):
    """The stored workloads (of ``status``, when given) and their usage
    from ``start`` to ``end``, ``size`` workloads at a time.

    Yields ``(workloads, usage)`` as :func:`from_store` returns them, for
    at most ``size`` workloads (those ``owns`` accepts, see
    :func:`workload_batches`) and ``rows`` rollups each
    (:data:`BATCH_ROWS` by default; :func:`usage_parts`; workloads without
    usage in the window are left out): the agent's jobs run over any fleet
    in the memory of one part.
    """
    for workloads in workload_batches(context, status=status, size=size,
                                      owns=owns):
        yield from usage_parts(context, workloads, start=start, end=end,
                               limit=rows)


def from_store(context, start=None, end=None, status=None):
    """The workloads and their usage from the store.

    :param start: naive UTC datetime: only rollups of windows from it on.
    :param end: naive UTC datetime: only rollups of windows before it.
    :param status: only workloads of this status (``active``).
    :returns: ``(workloads, usage)``; usage of workloads that are not in
        ``workloads`` (unknown, or of another status) is left out.
    """
    stored = stored_workloads(context, status=status)
    workloads = workload_frame(stored, images=_images(context, stored))
    usage = usage_from_rollups(stored_rollups(context, start=start))
    if end is not None:
        usage = usage.loc[usage['timestamp'] < pd.Timestamp(
            end.replace(tzinfo=datetime.UTC))]
    known = usage['workload_id'].isin(workloads['workload_id'])
    if not known.all():
        # Rollups of a workload not stored at all are an anomaly; those of
        # a workload of another status are simply not asked for.
        report = LOG.warning if status is None else LOG.debug
        report('Leaving out the rollups of %d workload(s) not selected',
               usage.loc[~known, 'workload_id'].nunique())
        usage = usage.loc[known].reset_index(drop=True)
    return workloads, usage


def measured(workloads, usage):
    """The rows of ``workloads`` that have usage, in workload id order."""
    ids = sorted(set(usage['workload_id']))
    return workloads.set_index('workload_id').loc[ids].reset_index()
