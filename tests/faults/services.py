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
"""Private RabbitMQ, PostgreSQL and Redis instances for the fault tests.

Each test starts its own on free ports, in a directory of its own, and
kills them at will; the shared system services are never touched.
"""

import contextlib
import glob
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import kombu

RABBIT_SBIN = (glob.glob('/usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin') or
               ['/usr/lib/rabbitmq/bin'])[0]
PG_BIN = sorted(glob.glob('/usr/lib/postgresql/*/bin'))[-1:]
PG_BIN = PG_BIN[0] if PG_BIN else '/usr/lib/postgresql/15/bin'


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout, interval=0.2, what='a condition'):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = predicate()
        except Exception:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %ss waiting for %s'
                                 % (timeout, what))
        time.sleep(interval)


def _port_open(port):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=1).close()
        return True
    except OSError:
        return False


class RabbitNode:
    """A RabbitMQ node of its own: ``kill()`` is ``kill -9``."""

    def __init__(self, base):
        self.base = pathlib.Path(base)
        self.base.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.dist_port = free_port()
        self.name = 'kcafault%d@localhost' % self.port
        (self.base / 'enabled_plugins').write_text('[].\n')
        (self.base / 'rabbitmq.conf').write_text('loopback_users = none\n')
        self.env = dict(
            os.environ, HOME=str(self.base), RABBITMQ_NODENAME=self.name,
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(self.base / 'mnesia'),
            RABBITMQ_LOG_BASE=str(self.base / 'log'),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.base / 'enabled_plugins'),
            RABBITMQ_PID_FILE=str(self.base / 'pid'),
            RABBITMQ_CONFIG_FILE=str(self.base / 'rabbitmq'),
            RABBITMQ_CONF_ENV_FILE=str(self.base / 'env.conf'))
        self.process = None

    @property
    def url(self):
        return 'rabbit://guest:guest@127.0.0.1:%d/' % self.port

    @property
    def amqp_url(self):
        return 'amqp://guest:guest@127.0.0.1:%d//' % self.port

    def start(self, timeout=240):
        log = open(self.base / 'server.out', 'ab')
        self.process = subprocess.Popen(
            [os.path.join(RABBIT_SBIN, 'rabbitmq-server')], env=self.env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._answers, timeout, interval=0.5,
                 what='RabbitMQ on port %d' % self.port)

    def _answers(self):
        if self.process.poll() is not None:
            raise AssertionError('RabbitMQ exited: see %s'
                                 % (self.base / 'server.out'))
        with kombu.Connection(self.amqp_url, connect_timeout=2) as conn:
            conn.connect()
        return True

    def kill(self):
        """``kill -9`` of the whole node (beam and its helpers)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        wait_for(lambda: not _port_open(self.port), 30,
                 what='the killed broker to let its port go')

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.kill()

    def queue_depth(self, name):
        with kombu.Connection(self.amqp_url, connect_timeout=5) as conn:
            _, count, _ = conn.channel().queue_declare(name, passive=True)
            return count


class PostgresCluster:
    """A PostgreSQL cluster of its own (initdb, pg_ctl) on a free port,
    run as the ``postgres`` user when the tests run as root."""

    def __init__(self, base):
        self.base = pathlib.Path(base)
        self.data = self.base / 'data'
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = 'postgres'
        self.base.mkdir(parents=True, exist_ok=True)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)

    def _run(self, *args, check=True, timeout=120):
        command = [os.path.join(PG_BIN, args[0])] + list(args[1:])
        if self.user:
            command = ['runuser', '-u', self.user, '--'] + command
        return subprocess.run(command, check=check, timeout=timeout,
                              capture_output=True, text=True,
                              env=dict(os.environ, PGPASSWORD='kca'),
                              stdin=subprocess.DEVNULL)

    @property
    def url(self):
        return ('postgresql+psycopg2://kca:kca@127.0.0.1:%d/kca'
                % self.port)

    def init(self):
        pwfile = self.base / 'pw'
        pwfile.write_text('kca\n')
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        self._run('initdb', '-D', str(self.data), '-U', 'kca', '-A',
                  'md5', '--pwfile', str(pwfile), '--no-sync')
        self.start()
        self._run('createdb', '-h', '127.0.0.1', '-p', str(self.port), '-U',
                  'kca', 'kca', check=True)

    def start(self):
        self._run('pg_ctl', '-D', str(self.data), '-l',
                  str(self.base / 'server.log'), '-w', '-o',
                  '-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off '
                  '-c max_connections=100' % (self.port, self.base),
                  'start')

    def stop(self, mode='fast'):
        self._run('pg_ctl', '-D', str(self.data), '-m', mode, '-w', 'stop',
                  check=False)

    def cleanup(self):
        self.stop('immediate')


class RedisServer:
    def __init__(self, base):
        self.base = pathlib.Path(base)
        self.base.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return 'redis://127.0.0.1:%d' % self.port

    def start(self):
        self.process = subprocess.Popen(
            ['redis-server', '--port', str(self.port), '--bind', '127.0.0.1',
             '--save', '', '--appendonly', 'no', '--dir', str(self.base)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _port_open(self.port), 30, what='Redis')

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)


@contextlib.contextmanager
def private_services(rabbit=True, postgres=True, redis=True):
    """(rabbit, postgres, redis) of this test; each None when not asked."""
    base = pathlib.Path(tempfile.mkdtemp(prefix='kca-faults-'))
    os.chmod(base, 0o755)
    started = []
    try:
        node = cluster = server = None
        if rabbit:
            node = RabbitNode(base / 'rabbit')
            started.append(node.stop)
            node.start()
        if postgres:
            cluster = PostgresCluster(base / 'pg')
            started.append(cluster.cleanup)
            cluster.init()
        if redis:
            server = RedisServer(base / 'redis')
            started.append(server.stop)
            server.start()
        yield node, cluster, server
    finally:
        for stop in reversed(started):
            try:
                stop()
            except Exception:
                pass
        shutil.rmtree(base, ignore_errors=True)
