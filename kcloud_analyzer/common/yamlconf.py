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
"""The seed's configuration forms, mapped onto the oslo.config options.

``config.yaml`` (copied from ``config.example.yaml``) takes this layout::

    analyzer:
      collection_interval: 30
      metrics_retention_days: 90
      models:
        cost_model: {type: linear_regression, retrain_interval: 24h}
        workload_classifier: {type: random_forest, retrain_interval: 12h}
    database: {connection: "postgresql+psycopg2://..."}
    api: {port: 8080}

``analyzer`` holds the ``[DEFAULT]`` options, ``analyzer.models.<group>``
the model groups, and any other top-level key names an option group whose
keys are its options. Values from the YAML file become defaults, so INI
files and the command line still win; an unknown key or a bad value is
refused with the path of the key.

The seed's environment variables override both.
"""

import urllib.parse

from oslo_config import cfg
import yaml

from kcloud_analyzer.common import exception
from kcloud_analyzer.common import lazy
from kcloud_analyzer.conf import keystone

# Only DB_HOST needs it; every command's start does not.
sqlalchemy = lazy.load('sqlalchemy')

_MODEL_GROUPS = ('cost_model', 'workload_classifier')


def _invalid(reason):
    return exception.ConfigInvalid(reason=reason)


def _set(conf, path, group, name, value):
    group_obj = None if group is None else getattr(conf, group)
    known = conf if group is None else group_obj
    if name not in known or isinstance(known[name], cfg.ConfigOpts.GroupAttr):
        raise _invalid('unknown key %s' % path)
    if isinstance(value, (dict, list)) and not isinstance(
            conf._get_opt_info(name, group)['opt'].type,
            (cfg.types.List, cfg.types.Dict)):
        raise _invalid('%s: expected a single value, got %s'
                       % (path, type(value).__name__))
    if isinstance(value, list):
        value = ','.join(str(v) for v in value)
    try:
        conf.set_default(name, value, group=group)
    except (ValueError, TypeError) as exc:
        raise _invalid('%s: %s' % (path, exc))


def _apply_group(conf, prefix, group, values):
    if not isinstance(values, dict):
        raise _invalid('%s: expected a mapping' % prefix)
    for name, value in values.items():
        _set(conf, '%s.%s' % (prefix, name), group, name, value)


def apply_mapping(conf, data, source='config.yaml'):
    """Apply a parsed config.yaml document to ``conf`` as defaults."""
    if data is None:
        return
    if not isinstance(data, dict):
        raise _invalid('%s: the document must be a mapping' % source)
    for top, values in data.items():
        if top == 'analyzer':
            if not isinstance(values, dict):
                raise _invalid('analyzer: expected a mapping')
            for name, value in values.items():
                path = 'analyzer.%s' % name
                if name == 'models':
                    if not isinstance(value, dict):
                        raise _invalid('%s: expected a mapping' % path)
                    for model, model_values in value.items():
                        if model not in _MODEL_GROUPS:
                            raise _invalid('unknown key %s.%s'
                                           % (path, model))
                        _apply_group(conf, '%s.%s' % (path, model), model,
                                     model_values)
                else:
                    _set(conf, path, None, name, value)
        elif top in conf and isinstance(conf[top], cfg.ConfigOpts.GroupAttr):
            _apply_group(conf, top, top, values)
        else:
            raise _invalid('unknown key %s' % top)


def apply_file(conf, path):
    try:
        with open(path, encoding='utf-8') as stream:
            data = yaml.safe_load(stream)
    except OSError as exc:
        raise _invalid('cannot read %s: %s' % (path, exc.strerror))
    except yaml.YAMLError as exc:
        raise _invalid('%s is not valid YAML: %s' % (path, exc))
    try:
        apply_mapping(conf, data, source=path)
    except exception.ConfigInvalid as exc:
        raise _invalid('%s: %s' % (path, exc.kwargs['reason']))


def _split_host(value, default_port):
    host, _, port = value.rpartition(':') if ':' in value else (
        value, '', '')
    if not host:
        host, port = value, ''
    return host, int(port) if port.isdigit() else default_port


def _override(conf, name, value, group, env):
    try:
        conf.set_override(name, value, group=group)
    except (ValueError, TypeError) as exc:
        raise _invalid('%s: %s' % (env, exc))


def apply_environment(conf, environ):
    """Apply DB_HOST, REDIS_HOST, INFLUX_HOST and OPENSTACK_AUTH_URL."""
    db_host = environ.get('DB_HOST')
    if db_host:
        url = sqlalchemy.make_url(conf.database.connection)
        if url.get_backend_name() == 'sqlite':
            raise _invalid(
                'DB_HOST is set to %s but [database] connection is a SQLite '
                'URL; set a PostgreSQL or MySQL connection URL' % db_host)
        host, port = _split_host(db_host, url.port)
        _override(conf, 'connection',
                  url.set(host=host, port=port).render_as_string(
                      hide_password=False),
                  'database', 'DB_HOST')

    redis_host = environ.get('REDIS_HOST')
    if redis_host:
        host, port = _split_host(redis_host, 6379)
        backend = urllib.parse.urlsplit(conf.coordination.backend_url)
        if backend.scheme == 'redis':
            _override(conf, 'backend_url',
                      backend._replace(netloc='%s:%d' % (host, port))
                      .geturl(), 'coordination', 'REDIS_HOST')
        _override(conf, 'redis_server', '%s:%d' % (host, port), 'cache',
                  'REDIS_HOST')

    influx_host = environ.get('INFLUX_HOST')
    if influx_host:
        url = influx_host if '://' in influx_host else (
            'http://%s:%d' % _split_host(influx_host, 8086))
        _override(conf, 'url', url, 'influxdb', 'INFLUX_HOST')

    auth_url = environ.get('OPENSTACK_AUTH_URL')
    if auth_url:
        for group in (keystone.SERVICE_CREDENTIALS, keystone.AUTHTOKEN):
            keystone.register_password_opts(conf, group)
        _override(conf, 'auth_url', auth_url, 'service_credentials',
                  'OPENSTACK_AUTH_URL')
        _override(conf, 'auth_url', auth_url, 'keystone_authtoken',
                  'OPENSTACK_AUTH_URL')
        _override(conf, 'www_authenticate_uri', auth_url,
                  'keystone_authtoken', 'OPENSTACK_AUTH_URL')
