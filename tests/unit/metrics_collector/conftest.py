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
import datetime
import uuid

from oslo_config import cfg
import pytest

from kcloud_analyzer.common import context as kcontext
from kcloud_analyzer.db import api as db_api
from kcloud_analyzer.db import models
from kcloud_analyzer import service

from tests import fixtures


@pytest.fixture
def conf():
    conf = cfg.ConfigOpts()
    service.register_all(conf)
    conf([], project='kcloud-analyzer', default_config_files=[])
    return conf


@pytest.fixture
def db(conf, tmp_path):
    """The real db.api on a SQLite file (no server needed)."""
    conf.set_override('connection',
                      'sqlite:///%s' % (tmp_path / 'store.sqlite'),
                      group='database')
    fixtures.use_store(conf)
    models.BASE.metadata.create_all(db_api.get_engine())
    return db_api


@pytest.fixture
def context():
    return kcontext.get_admin_context()


def notification(event_type, payload, message_id=None,
                 publisher_id='test'):
    """A message as oslo.messaging hands it to a batch endpoint."""
    return {
        'ctxt': {},
        'publisher_id': publisher_id,
        'event_type': event_type,
        'payload': payload,
        'metadata': {'message_id': message_id or str(uuid.uuid4()),
                     'timestamp': str(datetime.datetime.now())},
    }
