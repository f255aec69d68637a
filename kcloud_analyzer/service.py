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
"""Service preparation: one ConfigOpts per process, made here and passed
down. There is no global configuration object in this project."""

import os
import pathlib
import sys

from oslo_cache import core as cache
from oslo_config import cfg
from oslo_db import options as db_options
from oslo_log import log

from kcloud_analyzer.common import exception
from kcloud_analyzer.common import yamlconf
from kcloud_analyzer import conf as kconf
from kcloud_analyzer.conf import opts as kopts

LOG = log.getLogger(__name__)

PROJECT = 'kcloud-analyzer'

_YAML_OPT = cfg.StrOpt(
    'config-yaml',
    help='Path of a config.yaml in the seed layout (see '
         'config.example.yaml). Defaults to ./config.yaml when that file '
         'exists. Values from INI config files take precedence over it.')


def register_all(conf):
    """Register every option the services read on ``conf``."""
    kconf.register_opts(conf)
    db_options.set_defaults(conf, connection=kopts.DEFAULT_DB_CONNECTION)
    # imported here: importing oslo.messaging chooses oslo.service's
    # backend, which the agent's command must choose first (threading)
    from kcloud_analyzer.common import rpc
    rpc.set_defaults(conf)
    cache.configure(conf)
    log.register_options(conf)


def prepare_service(argv=None, *, cli_opts=(), default_config_files=None,
                    log_json=False):
    """Build, parse and return a new ConfigOpts; set up logging.

    Sources, highest precedence first: command line, the seed's
    environment variables (DB_HOST, REDIS_HOST, INFLUX_HOST,
    OPENSTACK_AUTH_URL), INI config files, the seed's config.yaml,
    built-in defaults.

    :param argv: command-line arguments without the program name
                 (``sys.argv[1:]`` when None).
    :param cli_opts: extra command-line options of the calling command.
    :param log_json: log JSON lines (services) rather than plain text
                     (commands), unless the configuration says otherwise.
    :raises kcloud_analyzer.common.exception.ConfigInvalid: a bad value or
        an unknown key in config.yaml or in an environment variable.
    """
    if argv is None:
        argv = sys.argv[1:]
    conf = cfg.ConfigOpts()
    register_all(conf)
    conf.register_cli_opt(_YAML_OPT)
    conf.register_cli_opts(list(cli_opts))
    kopts.set_log_defaults()
    # Standard output belongs to what commands print (tables, JSON).
    conf.set_default('use_stderr', True)
    if log_json:
        conf.set_default('use_json', True)
    conf(argv, project=PROJECT, prog=os.path.basename(sys.argv[0]),
         default_config_files=default_config_files)

    yaml_path = conf.config_yaml
    if yaml_path is None and pathlib.Path('config.yaml').is_file():
        yaml_path = 'config.yaml'
    if yaml_path:
        yamlconf.apply_file(conf, yaml_path)
    yamlconf.apply_environment(conf, os.environ)

    log.setup(conf, PROJECT)
    if yaml_path:
        LOG.info('Read configuration from %s', yaml_path)
    return conf


#: Where the embedded default (``kcloud-analyzer-all``, ``make run``) keeps
#: its configuration, database and models: this folder, else ``state`` in
#: the current folder.
EMBEDDED_STATE_ENV = 'KCLOUD_ANALYZER_STATE'


def embedded_state_folder():
    return pathlib.Path(os.environ.get(EMBEDDED_STATE_ENV, 'state')).resolve()


def _command_config_files():
    """The usual configuration files, else the embedded default's, so that
    an offline command run beside ``make run`` uses its database and the
    models it trained."""
    found = cfg.find_config_files(project=PROJECT,
                                  prog=os.path.basename(sys.argv[0]))
    if found:
        return found
    embedded = embedded_state_folder() / 'kcloud-analyzer.conf'
    return [str(embedded)] if embedded.is_file() else []


def prepare_command(argv=None, **kwargs):
    """:func:`prepare_service` for commands: exits with status 2 and a
    one-line message on a bad configuration instead of a traceback.

    Without a configuration file in the usual places, the one the embedded
    default wrote (:func:`embedded_state_folder`) is read.
    """
    kwargs.setdefault('default_config_files', _command_config_files())
    try:
        return prepare_service(argv, **kwargs)
    except (exception.ConfigInvalid, cfg.Error) as exc:
        sys.stderr.write('%s: configuration error: %s\n'
                         % (os.path.basename(sys.argv[0]), exc))
        sys.exit(2)
