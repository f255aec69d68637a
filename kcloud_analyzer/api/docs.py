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
"""Swagger UI, served from the ``swagger-ui-bundle`` package.

Nothing is fetched from the network: the page and its assets come from
this service, and the page reads this service's ``/openapi.json``.
"""

import pathlib

import swagger_ui_bundle

ASSET_DIR = pathlib.Path(swagger_ui_bundle.swagger_ui_path)

ASSETS = {
    'swagger-ui.css': 'text/css',
    'swagger-ui-bundle.js': 'application/javascript',
    'swagger-ui-standalone-preset.js': 'application/javascript',
    'favicon-32x32.png': 'image/png',
    'favicon-16x16.png': 'image/png',
}

PAGE = """<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>kcloud-analyzer API</title>
    <link rel="stylesheet" type="text/css" href="{base}/docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="{base}/docs/favicon-32x32.png"
          sizes="32x32">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="{base}/docs/swagger-ui-bundle.js"></script>
    <script src="{base}/docs/swagger-ui-standalone-preset.js"></script>
    <script src="{base}/docs/initializer.js"></script>
  </body>
</html>
"""

INITIALIZER = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "%s/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
"""


def page(base):
    """The Swagger UI page for an application mounted at ``base``."""
    return PAGE.format(base=base)


def initializer(base):
    return INITIALIZER % base


def asset(name):
    """(bytes, content type) of a bundled asset, or None if unknown."""
    content_type = ASSETS.get(name)
    if content_type is None:
        return None
    return (ASSET_DIR / name).read_bytes(), content_type
