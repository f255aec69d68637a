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
"""Helpers shared by the collector and agent functional tests: the real
PostgreSQL, RabbitMQ and Redis of this machine (started by .ci/run), and
servers the tests start themselves on free loopback ports."""

import contextlib
import http.server
import os
import pathlib
import socket
import subprocess
import shutil
import tempfile
import threading
import time
import uuid

from oslo_config import cfg
import requests

from kcloud_analyzer import service

from tests import fixtures

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[2]
RABBIT_URL = 'rabbit://guest:guest@127.0.0.1:5672/'
#: The shared RabbitMQ's service exchanges (nova, ceilometer, openstack,
#: ...) are declared non-durable by the producers' own defaults, and
#: RabbitMQ refuses to declare an exchange again with another durability:
#: the tests on it send and listen as the producers do, which is what the
#: admin guide asks of a deployment (the same durability everywhere). The
#: fault tests run private brokers with the project's durable defaults.
SHARED_BROKER_OPTIONS = {('oslo_messaging_rabbit', 'amqp_durable_queues'):
                         False}
REDIS_URL = 'redis://127.0.0.1:6379'


def require_port(host, port, what):
    """Fail (never skip) when a service the test needs is unreachable."""
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as error:
        raise AssertionError('%s is not reachable on %s:%s (%s); start it '
                             '(.ci/run does)' % (what, host, port, error))


def free_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout, interval=0.1, what='condition'):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %ss waiting for %s'
                                 % (timeout, what))
        time.sleep(interval)


def make_conf(overrides=None):
    """A parsed ConfigOpts with every project option registered;
    ``overrides`` maps (group, name) to a value (group None: DEFAULT).

    The values go through a configuration file rather than set_override:
    several option groups are module-level objects that oslo.config shares
    between the ConfigOpts of one process, so an override would leak into
    every other test's configuration.
    """
    sections = {}
    overrides = {**SHARED_BROKER_OPTIONS, **(overrides or {})}
    for (group, name), value in overrides.items():
        if isinstance(value, (list, tuple)):
            value = ','.join(str(v) for v in value)
        sections.setdefault(group or 'DEFAULT', []).append(
            '%s = %s' % (name, value))
    handle, path = tempfile.mkstemp(suffix='.conf')
    with os.fdopen(handle, 'w') as stream:
        for group, lines in sections.items():
            stream.write('[%s]\n%s\n' % (group, '\n'.join(lines)))
    try:
        conf = cfg.ConfigOpts()
        service.register_all(conf)
        conf(['--config-file', path], project='kcloud-analyzer',
             default_config_files=[])
    finally:
        os.unlink(path)
    return conf


@contextlib.contextmanager
def postgresql_database(migrate=True):
    """A fresh PostgreSQL database (at the newest schema of this project
    unless ``migrate`` is false), provisioned by oslo.db as its
    opportunistic tests do (``openstack_citest``); yields its URL."""
    require_port('127.0.0.1', 5432, 'PostgreSQL')
    with fixtures.provisioned_database('postgresql', migrate) as url:
        yield url


def configure_db(url):
    conf = make_conf({('database', 'connection'): url,
                      ('database', 'max_retries'): 1,
                      ('database', 'retry_interval'): 1})
    fixtures.use_store(conf)
    return conf


@contextlib.contextmanager
def process(args, ready=None, timeout=30, **kwargs):
    """Run a server process; wait for ``ready()``; stop it afterwards."""
    kwargs.setdefault('stdout', subprocess.DEVNULL)
    kwargs.setdefault('stderr', subprocess.STDOUT)
    proc = subprocess.Popen(args, **kwargs)
    try:
        if ready:
            wait_for(lambda: proc.poll() is not None or ready(), timeout,
                     interval=0.2, what='%s to start' % args[0])
            if proc.poll() is not None:
                raise AssertionError('%s exited with %s' % (args[0],
                                                            proc.returncode))
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def scraping_prometheus(folder, handler, instances, extra_jobs='',
                        timeout=60):
    """Serve ``handler`` (an HTTP request handler class whose paths are the
    names in ``instances``) on a free loopback port and yield the URL of
    Debian's Prometheus scraping every one of them each second, labelled
    ``instance_uuid``; ``extra_jobs`` are more scrape jobs, in YAML, with
    ``%(target)s`` for the exporter's address."""
    binary = shutil.which('prometheus')
    assert binary, 'prometheus is not installed (tools/ci/setup-prometheus.sh)'
    exporter = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=exporter.serve_forever, daemon=True).start()
    target = '127.0.0.1:%d' % exporter.server_address[1]
    jobs = ''.join(
        '  - job_name: %s\n    metrics_path: /%s\n    static_configs:\n'
        '      - targets: ["%s"]\n        labels: {instance_uuid: %s}\n'
        % (name, name, target, name) for name in instances)
    config = folder / 'prometheus.yml'
    config.write_text(
        'global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n'
        'scrape_configs:\n' + jobs + extra_jobs % {'target': target})
    port = free_port()
    url = 'http://127.0.0.1:%d' % port

    def ready():
        try:
            return requests.get(url + '/-/ready', timeout=1).ok
        except requests.ConnectionError:
            return False

    try:
        with process([binary, '--config.file=%s' % config,
                      '--storage.tsdb.path=%s' % (folder / 'tsdb'),
                      '--web.listen-address=127.0.0.1:%d' % port],
                     ready=ready, timeout=timeout):
            yield url
    finally:
        exporter.shutdown()
        exporter.server_close()


def delete_queues(url, names):
    """Remove the broker queues a test declared (its own topics and
    pools), so the shared RabbitMQ keeps no queue nobody reads. A queue
    that does not exist is no error."""
    import kombu
    with kombu.Connection(url.replace('rabbit://', 'amqp://', 1)) as conn:
        channel = conn.channel()
        for name in names:
            channel.queue_delete(name)


#: oslo.messaging's notification priorities: a notifier declares the
#: queue ``<topic>.<priority>`` of each priority it sends on
PRIORITIES = ('audit', 'critical', 'debug', 'error', 'info', 'sample',
              'warn')
#: the exchanges the tests publish and listen on: the services' own (the
#: agent's ``[notification] exchanges`` and the producers of the Ceilometer
#: test) and oslo.messaging's default
EXCHANGES = ('nova', 'ironic', 'ceilometer', 'openstack', 'cinder',
             'neutron', 'glance')


def delete_unused_exchanges(url, names):
    """Remove the exchanges ``names`` that no queue is bound to any more
    (``if_unused``: an exchange another test still uses is kept)."""
    import kombu
    with kombu.Connection(url.replace('rabbit://', 'amqp://', 1)) as conn:
        for name in names:
            channel = conn.channel()
            try:
                channel.exchange_delete(name, if_unused=True)
            except conn.channel_errors:
                pass    # in use: the broker closed this channel
            finally:
                try:
                    channel.close()
                except conn.channel_errors:
                    pass


class Broker:
    """Topics and queues of one test on the shared RabbitMQ, all removed
    at its end: for each topic the notifiers' ``<topic>.<priority>``
    queues, the listener pools ``<topic>`` and ``<topic>.<topic>`` (the
    agent's ``<pool>.<topic>`` with the topic as pool), the dead letters
    ``<topic>.dlq``; the queues named with :meth:`queue`; then the
    exchanges nothing is bound to any more."""

    def __init__(self, url):
        self.url = url
        self.topics = []
        self.queues = []

    def topic(self, prefix):
        name = '%s-%s' % (prefix, uuid.uuid4().hex[:10])
        self.topics.append(name)
        return name

    def queue(self, name):
        self.queues.append(name)
        return name

    def names(self):
        names = list(self.queues)
        for topic in self.topics:
            names += [topic, '%s.%s' % (topic, topic), topic + '.dlq']
            names += ['%s.%s' % (topic, p) for p in PRIORITIES]
        return names

    def cleanup(self):
        delete_queues(self.url, self.names())
        delete_unused_exchanges(self.url, EXCHANGES)


def exchange_transport(url, exchange):
    """A notification transport whose notifiers publish on ``exchange``,
    as a service whose control exchange that is (Nova: ``nova``)."""
    from kcloud_analyzer.common import rpc
    conf = make_conf({(None, 'control_exchange'): exchange})
    return rpc.get_transport(conf, url=url)


def queues_exist(url, names):
    """True when every queue in ``names`` is declared on the broker."""
    import kombu
    with kombu.Connection(url.replace('rabbit://', 'amqp://', 1)) as conn:
        for name in names:
            try:
                conn.channel().queue_declare(name, passive=True)
            except conn.channel_errors:
                return False
    return True


def run(args, timeout):
    """Run a command to its end; fail with its output when it fails."""
    result = subprocess.run(args, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode:
        raise AssertionError('%s exited with %s:\n%s%s' % (
            args[0], result.returncode, result.stdout, result.stderr))
    return result.stdout
