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
"""Serve Horizon over HTTP for a browser; run by Horizon's Python.

Starts Django with ``browser_settings`` (``KCLOUD_BROWSER_STATIC_ROOT``
in the environment names the folder of the compiled stylesheets), then
reads one JSON line on stdin (so that the caller can start Keystone
meanwhile)::

    {"keystone_url": "http://127.0.0.1:PORT/v3", "port": 12345}

and serves Horizon, its static files and its compiled stylesheets on
127.0.0.1:port until it is killed. It prints ``READY`` when it listens.
"""

import json
import os
import socketserver
import sys
from wsgiref import simple_server

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'browser_settings')


class ThreadingServer(socketserver.ThreadingMixIn,
                      simple_server.WSGIServer):
    # A page pulls dozens of scripts and stylesheets at once.
    daemon_threads = True


class QuietHandler(simple_server.WSGIRequestHandler):

    def log_message(self, *args):
        pass


def main():
    import django
    django.setup()
    from django.conf import settings
    from django.contrib.staticfiles import handlers
    from django.core import wsgi
    application = handlers.StaticFilesHandler(wsgi.get_wsgi_application())
    request = json.loads(sys.stdin.readline())
    settings.OPENSTACK_KEYSTONE_URL = request['keystone_url']
    server = simple_server.make_server(
        '127.0.0.1', request['port'], application,
        server_class=ThreadingServer, handler_class=QuietHandler)
    print('READY', flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main()
