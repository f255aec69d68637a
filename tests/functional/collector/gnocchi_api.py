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
"""Serve Gnocchi's WSGI application on a loopback port for the functional
tests, with the standard library's threading WSGI server (so the test
needs no uWSGI). Runs in Gnocchi's own virtualenv:

    .ci-venvs/gnocchi/bin/python gnocchi_api.py CONFIG PORT
"""

import socketserver
import sys
from wsgiref import simple_server


class _Server(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main():
    config, port = sys.argv[1], int(sys.argv[2])
    # Gnocchi's WSGI module parses sys.argv for its configuration.
    sys.argv = [sys.argv[0], '--config-file', config]
    from gnocchi.rest import wsgi
    server = simple_server.make_server('127.0.0.1', port, wsgi.application,
                                       server_class=_Server,
                                       handler_class=_QuietHandler)
    server.serve_forever()


if __name__ == '__main__':
    main()
