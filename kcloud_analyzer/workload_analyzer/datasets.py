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
"""Real, labelled series for training and evaluating the classifier.

The public traces carry no per-workload training / inference / serving
label, so each series is labelled by its source:

``alibaba_genai`` -> serving
    The Stable Diffusion serving pods of Alibaba's GenAI trace
    (``alibaba_genai_serving_2026_dev``): per-pod GPU duty cycle, GPU memory
    in bytes (turned into a percentage of a 48 GiB device: the largest
    reading is 50.6 GB) and container memory as a fraction (turned into a
    percentage), about one sample a minute for up to 22.8 h. One pod is
    one workload on one GPU; pods seen for a few minutes only are kept
    (a classifier must cope with them).

``migprofiler`` -> training and inference
    Real runs on A100 MIG slices (``migprofiler_a100_mig_runs``), one
    sample a second of DCGM graphics activity and framebuffer share,
    labelled by the script that launched them (``labels.csv``).

nvidia-smi logs (``nvidia_smi_runs``)
    ``nvidia-smi --query-gpu=timestamp,power.draw,utilization.gpu,...``
    logs of whole runs, one file a run, labelled by a manifest (see
    ``tools/eval/nvidia_smi_runs.csv``), and logs of the plain
    ``nvidia-smi`` table as ``nvsmi_monitor.py`` writes them
    (:func:`nvsmi_dict_log`). Files without a licence that allows shipping
    them are read where they lie, at evaluation time.

``zeus`` -> training
    The Zeus training runs (``zeus_gpu_power_profiles``): each row of
    ``summary_power_<gpu>.csv`` is a single-GPU training run with its
    measured average power at a power limit and its epoch time. The trace
    has no time series, so the series is built around those measurements:
    accelerator power at the measured average with a validation dip at
    every epoch boundary, sampled every 30 s, for the number of epochs
    ``summary_train.csv`` gives to reach the target accuracy (capped at a
    day). Runs of one dataset/model/batch/optimizer form one group, so
    that the same job at another power limit is never in both the train
    and the test folds.

Helios, Philly, AcmeTrace and the PAI mini-batch files describe clusters or
give distributions, not one workload's telemetry; they feed the
parameters of :mod:`.synthetic` instead.

These functions read files; they are for the training command, tests and
evaluation, never for the service's request path.
"""

import pathlib

import numpy as np
import pandas as pd

from kcloud_analyzer.common import metrics

ALIBABA_FOLDER = 'alibaba_genai_serving_2026_dev'
ZEUS_FOLDER = 'zeus_gpu_power_profiles'

#: Device memory assumed for the Alibaba pods' GPUs (48 GiB).
ALIBABA_GPU_MEMORY_BYTES = 48 * 2 ** 30

_ALIBABA_FILES = (
    ('pod_gpu_duty_cycle_anon.csv.gz', metrics.GPU_UTILIZATION, 1.0),
    ('pod_gpu_memory_used_bytes_anon.csv.gz', metrics.GPU_MEMORY_UTILIZATION,
     100.0 / ALIBABA_GPU_MEMORY_BYTES),
    ('pod_memory_util_anon.csv.gz', metrics.MEMORY_UTILIZATION, 100.0),
)

_ZEUS_GPUS = ('a40', 'v100', 'rtx6000', 'p100')
_ZEUS_STEP_S = 30.0
_ZEUS_MAX_SECONDS = 86400.0


MIGPROFILER_FOLDER = 'migprofiler_a100_mig_runs'

#: Lifecycle of a workload from the cloud's records: a finite run that
#: ended, or an instance still running.
LIFECYCLE_ENDED = 'ended'
LIFECYCLE_RUNNING = 'running'


def alibaba_serving(data_dir, min_samples=1, max_pods=None):
    """Usage and workloads of the Alibaba GenAI serving pods.

    :param data_dir: the shared data folder
        (:func:`kcloud_analyzer.common.datasets.data_dir`).
    :param min_samples: pods with fewer GPU samples are left out.
    :param max_pods: keep only the first pods (sorted by id), for tests.
    :returns: ``(workloads, usage)`` in the offline shapes, ``type`` set to
        ``serving``.
    """
    folder = data_dir / ALIBABA_FOLDER
    frames = []
    for name, metric, scale in _ALIBABA_FILES:
        raw = pd.read_csv(folder / name)
        frames.append(pd.DataFrame({
            'workload_id': raw['container_ip'].astype(str),
            'timestamp': pd.to_datetime(raw['timestamp_anon'], unit='s',
                                        utc=True),
            'metric': metric,
            'value': raw['value'].to_numpy(dtype=float) * scale,
        }))
    usage = pd.concat(frames, ignore_index=True)
    gpu_samples = usage[usage['metric'] == metrics.GPU_UTILIZATION].groupby(
        'workload_id').size()
    pods = np.sort(gpu_samples[gpu_samples >= min_samples].index.to_numpy(
        dtype=str))
    if max_pods is not None:
        pods = pods[:max_pods]
    usage = usage[usage['workload_id'].isin(pods)].reset_index(drop=True)
    workloads = pd.DataFrame({
        'workload_id': pods.astype(object),
        'type': 'serving',
        'cpu_cores': np.nan,
        'memory_gb': np.nan,
        'gpu_count': 1,
        'npu_count': 0,
        'accelerator': 'gpu',
        'project_id': 'alibaba-genai',
    })
    # A pod still reporting in the last ten minutes of the trace was
    # running when it was cut; the others were stopped (scaled in).
    last = usage.groupby('workload_id')['timestamp'].max()
    running = last.reindex(pods) >= usage['timestamp'].max() - pd.Timedelta(
        minutes=10)
    workloads['lifecycle'] = np.where(running.to_numpy(), LIFECYCLE_RUNNING,
                                      LIFECYCLE_ENDED)
    return workloads, usage


def migprofiler_runs(data_dir):
    """Usage, workloads and labels of the MIGProfiler runs.

    :returns: ``(workloads, usage)`` in the offline shapes, ``type`` set to
        the launching script's class, ``lifecycle`` ``ended``.
    """
    folder = data_dir / MIGPROFILER_FOLDER
    workloads = pd.read_csv(folder / 'workloads.csv')
    labels = pd.read_csv(folder / 'labels.csv').set_index('workload_id')
    workloads['type'] = labels.loc[workloads['workload_id'],
                                   'true_class'].to_numpy()
    workloads['lifecycle'] = LIFECYCLE_ENDED
    usage = pd.read_csv(folder / 'usage.csv.gz')
    usage['timestamp'] = pd.to_datetime(usage['timestamp'], utc=True)
    return workloads, usage


#: nvidia-smi ``--query-gpu`` fields read from a log, by canonical metric.
_NVIDIA_SMI_FIELDS = {
    'utilization.gpu': metrics.GPU_UTILIZATION,
    'power.draw': metrics.ACCELERATOR_POWER_WATTS,
    'memory.used': metrics.GPU_MEMORY_UTILIZATION,
}

#: ``format`` of a manifest entry read with :func:`nvsmi_dict_log`.
NVSMI_DICT_FORMAT = 'nvsmi-dict'

#: Samples of one sweep over the GPUs of a host are this close together;
#: the next sweep starts later.
_SWEEP_GAP_S = 0.04


def _number(column):
    return pd.to_numeric(column.astype(str).str.extract(
        r'([-+0-9.eE]+)', expand=False), errors='coerce')


def nvidia_smi_log(text_or_path, workload_id, memory_total_mib=None,
                   gpus=None):
    """Long-form usage of one run from an nvidia-smi CSV log.

    Without an ``index`` column the log holds one row a GPU a sweep, the
    GPUs in turn; the sweep's rows are averaged (utilisation and memory
    share) or summed (power) into one sample, as the canonical metrics
    are per workload.

    :param memory_total_mib: the device memory, to turn ``memory.used``
        into a share (``memory.total`` is used when logged).
    :param gpus: GPUs per sweep; guessed from the timestamps when None.
    :returns: ``(usage, gpus)``.
    """
    raw = pd.read_csv(text_or_path, skipinitialspace=True,
                      on_bad_lines='skip', dtype=str)
    raw.columns = [c.split(' [')[0].strip() for c in raw.columns]
    times = pd.to_datetime(raw['timestamp'], format='%Y/%m/%d %H:%M:%S.%f',
                           errors='coerce', utc=True)
    raw = raw[times.notna()]
    times = times[times.notna()]
    if gpus is None:
        gaps = times.diff().dt.total_seconds().to_numpy()
        sweep = np.cumsum(np.r_[True, gaps[1:] > _SWEEP_GAP_S])
        gpus = int(np.median(np.bincount(sweep)[1:]))
    sweep = np.arange(len(raw)) // max(gpus, 1)
    frame = pd.DataFrame({'sweep': sweep, 'timestamp': times.to_numpy()})
    for field in _NVIDIA_SMI_FIELDS:
        if field in raw.columns:
            frame[field] = _number(raw[field]).to_numpy()
    if 'memory.used' in frame:
        total = (_number(raw['memory.total']).to_numpy()
                 if 'memory.total' in raw.columns else memory_total_mib)
        if total is None:
            frame = frame.drop(columns='memory.used')
        else:
            frame['memory.used'] = 100.0 * frame['memory.used'] / total
    return _sweep_usage(frame, workload_id, gpus), gpus


def _sweep_usage(frame, workload_id, gpus):
    """Long-form usage from per-GPU rows grouped by ``sweep``.

    Utilisation and memory share are averaged over a sweep's GPUs, power
    is summed; sweeps without a row for each of the ``gpus`` GPUs are left
    out (a sweep cut short by the end of a log, a GPU not read).
    """
    grouped = frame.groupby('sweep')
    sweeps = grouped.mean(numeric_only=True)
    if 'power.draw' in frame:
        sweeps['power.draw'] = grouped['power.draw'].sum(min_count=1)
    sweeps['timestamp'] = grouped['timestamp'].first()
    sweeps = sweeps[grouped.size() == gpus]
    parts = [pd.DataFrame({'workload_id': workload_id,
                           'timestamp': sweeps['timestamp'],
                           'metric': metric,
                           'value': sweeps[field]})
             for field, metric in _NVIDIA_SMI_FIELDS.items()
             if field in sweeps]
    return pd.concat(parts, ignore_index=True).dropna(subset=['value'])


#: One GPU's reading in a line of ``nvsmi_monitor.py`` output: index
#: (absent in the tool's first, one-GPU form), power draw, memory used and
#: total (MiB), utilisation; GPUs the tool could not read (``'N/A'``) do
#: not match.
_NVSMI_DICT_GPU = (r"(?:(?P<gpu>\d+): \{'temp_celsius': '[^']*', )?"
                   r"'power_usage': '(?P<power>[\d.]+)W / [\d.]+W', "
                   r"'memory_usage': '(?P<used>\d+)MiB / (?P<total>\d+)MiB', "
                   r"'gpu_utilization': '(?P<util>\d+)%'\}")


def nvsmi_dict_log(file_or_path, workload_id, gpus=1):
    """Long-form usage of one run from a ``nvsmi_monitor.py`` log.

    The log (``nvidia-gpu/tensorrt-llm/benchmarking/nvsmi_monitor.py`` of
    edwinlim0919/sustainable-deep-learning) holds a ``nvsmi profiling:
    <GPU>`` line, then one Python ``dict`` a reading of the plain
    ``nvidia-smi`` table: ``timestamp_raw`` (epoch seconds, whole
    seconds), and per GPU index its power, memory and utilisation as
    printed (the tool's first form has the one GPU's readings at the top
    level, without an index). The run's GPUs are the first ``gpus``
    indices; the others on the host are left out. Readings that repeat an
    earlier one's timestamp are dropped, so that a series has one sample a
    time.

    :returns: ``(usage, gpus)``.
    """
    text = (file_or_path.read() if hasattr(file_or_path, 'read')
            else pathlib.Path(file_or_path).read_text())
    lines = pd.Series(text.splitlines(), dtype=str)
    times = pd.to_numeric(lines.str.extract(
        r"'timestamp_raw': ([\d.]+)", expand=False), errors='coerce')
    keep = times.notna() & ~times.duplicated()
    lines, times = lines[keep], times[keep]
    readings = lines.str.extractall(_NVSMI_DICT_GPU).astype(float)
    readings = readings[readings['gpu'].fillna(0) < gpus]
    sweep = readings.index.get_level_values(0)
    frame = pd.DataFrame({
        'sweep': sweep,
        'timestamp': pd.to_datetime(times.loc[sweep].to_numpy(), unit='s',
                                    utc=True),
        'utilization.gpu': readings['util'].to_numpy(),
        'power.draw': readings['power'].to_numpy(),
        'memory.used': (100.0 * readings['used']
                        / readings['total']).to_numpy()})
    return _sweep_usage(frame, workload_id, gpus), gpus


def nvidia_smi_runs(manifest, root):
    """The runs a manifest lists, read from their nvidia-smi logs.

    :param manifest: DataFrame with ``source``, ``path`` (under ``root``),
        ``class``, ``gpus``, ``memory_total_mib`` (may be empty),
        ``accelerator`` and, optionally, ``format``: empty for an
        ``nvidia-smi --query-gpu`` CSV log, :data:`NVSMI_DICT_FORMAT` for
        a :func:`nvsmi_dict_log` one.
    :returns: ``(workloads, usage)`` with ``type`` the labelled class,
        ``project_id`` the source and ``lifecycle`` ``ended``.
    """
    rows, usages = [], []
    for position, entry in enumerate(manifest.to_dict('records')):
        path = root / entry['path']
        if not path.is_file():
            continue
        workload_id = f'{entry["source"]}-{position}'
        memory = entry.get('memory_total_mib')
        log_format = entry.get('format')
        if log_format == NVSMI_DICT_FORMAT:
            usage, gpus = nvsmi_dict_log(path, workload_id,
                                         gpus=int(entry['gpus']))
        else:
            usage, gpus = nvidia_smi_log(
                path, workload_id,
                memory_total_mib=None if pd.isna(memory) else float(memory),
                gpus=int(entry['gpus']))
        if usage.empty:
            continue
        usages.append(usage)
        rows.append({'workload_id': workload_id, 'type': entry['class'],
                     'cpu_cores': np.nan, 'memory_gb': np.nan,
                     'gpu_count': gpus, 'npu_count': 0,
                     'accelerator': entry['accelerator'],
                     'project_id': entry['source'],
                     'lifecycle': LIFECYCLE_ENDED})
    columns = ['workload_id', 'timestamp', 'metric', 'value']
    usage = (pd.concat(usages, ignore_index=True) if usages
             else pd.DataFrame(columns=columns))
    return pd.DataFrame(rows), usage


def zeus_training_runs(data_dir):
    """The Zeus runs with their measured power and epoch count.

    :returns: a DataFrame with ``gpu``, ``dataset``, ``network``,
        ``batch_size``, ``optimizer``, ``power_limit``, ``time_per_epoch``,
        ``average_power``, ``epochs`` (median epochs to target over the
        recorded runs) and ``group``.
    """
    folder = data_dir / ZEUS_FOLDER
    power = pd.concat([
        pd.read_csv(folder / f'summary_power_{gpu}.csv').assign(gpu=gpu)
        for gpu in _ZEUS_GPUS], ignore_index=True)
    keys = ['dataset', 'network', 'batch_size', 'optimizer']
    epochs = (pd.read_csv(folder / 'summary_train.csv')
              .groupby(keys)['target_epoch'].median().rename('epochs'))
    runs = power.join(epochs, on=keys)
    runs['epochs'] = runs['epochs'].fillna(
        runs['epochs'].median()).clip(lower=1)
    runs['group'] = 'zeus:' + runs[keys].astype(str).agg('/'.join, axis=1)
    return runs.reset_index(drop=True)


def zeus_training_usage(runs, rng, start_s=1.6e9):
    """Accelerator power series built around the Zeus measurements.

    The average over each epoch is the measured ``average_power``: a dip to
    40 % for the last 5 % of an epoch (validation) is paid back over the
    rest of it.

    :returns: ``(workloads, usage)`` in the offline shapes, ``type`` set to
        ``training``; workload ids are ``zeus-<row>``.
    """
    duration = np.minimum(runs['epochs'].to_numpy() *
                          runs['time_per_epoch'].to_numpy(),
                          _ZEUS_MAX_SECONDS)
    duration = np.maximum(duration, 10 * _ZEUS_STEP_S)
    lengths = np.floor(duration / _ZEUS_STEP_S).astype(int) + 1
    row = np.repeat(np.arange(len(runs)), lengths)
    offsets = np.arange(len(row)) - np.repeat(np.cumsum(lengths) - lengths,
                                              lengths)
    seconds = offsets * _ZEUS_STEP_S
    epoch = runs['time_per_epoch'].to_numpy()[row]
    average = runs['average_power'].to_numpy()[row]
    dip_share, dip_level = 0.05, 0.4
    busy_level = (1 - dip_share * dip_level) / (1 - dip_share)
    in_dip = np.mod(seconds, epoch) > (1 - dip_share) * epoch
    watts = average * np.where(in_dip, dip_level, busy_level)
    watts = watts * rng.normal(1.0, 0.03, len(watts))
    ids = np.array([f'zeus-{i}' for i in range(len(runs))], dtype=object)
    usage = pd.DataFrame({
        'workload_id': ids[row],
        'timestamp': pd.to_datetime(start_s + seconds, unit='s', utc=True),
        'metric': metrics.ACCELERATOR_POWER_WATTS,
        'value': watts,
    })
    workloads = pd.DataFrame({
        'workload_id': ids,
        'type': 'training',
        'cpu_cores': np.nan,
        'memory_gb': np.nan,
        'gpu_count': 1,
        'npu_count': 0,
        'accelerator': runs['gpu'].str.upper().to_numpy(),
        'project_id': 'zeus',
    })
    return workloads, usage
