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
"""The agent's analysis and retraining, in a process of their own.

With ``[agent] analysis_process`` (the default) every analysis run and
every retraining runs in a child of the agent's worker, started for that
run with the worker's configuration files and environment (``python -m
kcloud_analyzer.agent.analysis``, its standard input a pipe from the
worker), so the worker, which stores the notifications, never loads
the analytics libraries (scikit-learn, statsmodels, SciPy: about 100 MB)
nor holds the memory of a run, and a run that fails or is killed by the
kernel leaves the ingest running. With ``[agent]
retraining_malloc_tuning`` (the default) a retraining child's
environment also sets glibc's allocator to return the memory of its
arrays (:data:`MALLOC_ENVIRONMENT`, :func:`child_environment`). The
task (JSON on standard input) names the job and the share of the hash
ring the agent analyses::

    {"task": "analyse", "recommend": true, "argv": [...],
     "log_json": true,
     "ring": {"member": "...", "nodes": {"...": 1}, "partitions": 32}}

The task is one line; standard input stays open while the agent's worker
lives, and the child ends when it closes (the worker died). The exit
status is 0 when the job ran, 1 when it failed (logged by the child), 2
when the configuration could not be read, 3 when the worker died.
"""

import json
import os
import subprocess
import sys
import threading

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

#: the jobs a child runs: ``analyse`` (profiles, classes, costs and
#: recommendations) and the retraining functions of
#: :mod:`kcloud_analyzer.jobs.training` by their names
TASKS = frozenset({'analyse', 'retrain_classifier', 'retrain_cost_model'})
#: the retraining ones among them
RETRAINING_TASKS = TASKS - {'analyse'}

#: glibc's allocator settings of a retraining child with ``[agent]
#: retraining_malloc_tuning``: one arena, and arrays above 1 MiB mapped
#: (and unmapped when freed) whatever the sizes freed before
MALLOC_ENVIRONMENT = (('MALLOC_ARENA_MAX', '1'),
                      ('MALLOC_MMAP_THRESHOLD_', '1048576'))


class RingShare:
    """Whether a workload is this agent's, from a copy of the ring: the
    same answer as the agent's tooz partitioner
    (``belongs_to_self('workload/<id>')``) at the time the copy was made.
    """

    def __init__(self, member, nodes, partitions):
        from tooz import hashring

        self.member = member.encode('utf-8')
        self.ring = hashring.HashRing([], partitions=partitions)
        for node, weight in nodes.items():
            self.ring.add_node(node.encode('utf-8'), weight)

    def __call__(self, workload_id):
        return self.member in self.ring.get_nodes(
            ('workload/%s' % workload_id).encode('utf-8'))


def ring_share(partitioner, member_id):
    """The JSON form of ``partitioner``'s ring for a child (None: every
    workload is this agent's)."""
    if partitioner is None:
        return None
    # tooz keeps the ring's nodes as bytes; the agent's member id is text
    return {'member': member_id,
            'nodes': {node.decode('utf-8'): weight
                      for node, weight in partitioner.ring.nodes.items()},
            'partitions': partitioner.partitions}


def config_argv(conf):
    """The command-line arguments that give a child the same
    configuration files as ``conf``, and its log file and level (which
    the agent's command line may set)."""
    argv = []
    for path in conf.config_file or ():
        argv += ['--config-file', path]
    for path in conf.config_dir or ():
        argv += ['--config-dir', path]
    for option in ('config_yaml', 'log_file', 'log_dir'):
        value = conf[option] if option in conf else None
        if value:
            argv += ['--%s' % option.replace('_', '-'), value]
    if 'debug' in conf and conf.debug:
        argv.append('--debug')
    return argv


def child_environment(conf, task, environ=None):
    """The environment of a child running ``task``: the agent's
    (``environ``, by default ``os.environ``), and for a retraining with
    ``[agent] retraining_malloc_tuning`` on, :data:`MALLOC_ENVIRONMENT`
    where the agent's sets neither variable. (An analysis run keeps
    glibc's defaults: a fixed mmap threshold makes it fault in the pages
    of every large array it allocates, which cost the classification of
    10,000 workloads about a quarter more time.)"""
    environ = dict(os.environ if environ is None else environ)
    if task in RETRAINING_TASKS and conf.agent.retraining_malloc_tuning:
        for name, value in MALLOC_ENVIRONMENT:
            environ.setdefault(name, value)
    return environ


class Child:
    """One run of ``task`` in a child process; :meth:`wait` returns once
    it ended and raises when it failed. :meth:`kill` ends it (the agent
    stops): what it had not committed is rolled back."""

    def __init__(self, conf, task, ring=None, log_json=True, **arguments):
        if task not in TASKS:
            raise ValueError('unknown analysis task %s' % task)
        self.task = task
        request = dict(arguments, task=task, argv=config_argv(conf),
                       ring=ring, log_json=log_json)
        self.process = subprocess.Popen(  # noqa: S603 - this module
            [sys.executable, '-m', __name__], stdin=subprocess.PIPE,
            close_fds=True, env=child_environment(conf, task))
        # one line; the pipe stays open while the agent lives, so that
        # the child ends when the agent's worker dies (even killed)
        try:
            self.process.stdin.write(json.dumps(request).encode('utf-8') +
                                     b'\n')
            self.process.stdin.flush()
        except BrokenPipeError:
            # the child ended at once: wait() reports its status
            pass
        LOG.debug('%s runs in process %d', task, self.process.pid)

    def wait(self):
        status = self.process.wait()
        self._close()
        if status:
            raise RuntimeError('the %s process (%d) ended with status %d; '
                               'see its log' % (self.task, self.process.pid,
                                                status))

    def _close(self):
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            pass

    def kill(self, grace=10.0):
        if self.process.poll() is not None:
            self._close()
            return
        self.process.terminate()
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._close()


def run(conf, context, request, owns=None):
    """Run the job of ``request`` (a task dict) in this process."""
    task = request['task']
    if task == 'analyse':
        from kcloud_analyzer.jobs import costs
        from kcloud_analyzer.jobs import profiles

        profiles.update_profiles(conf, context, owns=owns)
        costs.update_costs(conf, context, owns=owns,
                           recommend=request.get('recommend', True))
        return
    from kcloud_analyzer.jobs import training

    getattr(training, task)(conf, context)


def _exit_with_the_agent(stdin):
    stdin.read()
    LOG.warning('The agent that started this analysis process ended; '
                'ending it (what it had not committed is rolled back)')
    os._exit(3)


def main(stdin=None):
    from oslo_service import backend

    # as the agent: nothing here may choose eventlet
    backend.init_backend(backend.BackendType.THREADING)
    stdin = stdin or sys.stdin
    request = json.loads(stdin.readline())
    # the end of standard input is the end of the agent's worker
    threading.Thread(target=_exit_with_the_agent, args=(stdin,),
                     name='agent-watch', daemon=True).start()
    from kcloud_analyzer.common import context as kcontext
    from kcloud_analyzer.db import api as db_api
    from kcloud_analyzer import service

    try:
        conf = service.prepare_service(request['argv'],
                                       log_json=request.get('log_json',
                                                            True))
    except Exception as error:  # noqa: BLE001 - reported as a status
        sys.stderr.write('kcloud-analyzer analysis: configuration error: '
                         '%s\n' % error)
        return 2
    db_api.configure(conf)
    ring = request.get('ring')
    owns = RingShare(**ring) if ring else None
    try:
        run(conf, kcontext.get_admin_context(), request, owns=owns)
    except Exception:
        LOG.exception('The %s run failed', request['task'])
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
