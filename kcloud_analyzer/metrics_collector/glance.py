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
"""Glance image notifications -> the names of the images instances run.

Nova's notifications name an instance's image by UUID only. Glance
notifies ``image.create``, ``image.update`` and ``image.upload`` on its
``glance`` exchange with the image as ``glance/notifier.py``'s
``format_image_notification`` gives it (``id``, ``name``, ``properties``,
``tags``, ...). The agent keeps the name, properties and tags; the
workloads frame (:func:`kcloud_analyzer.jobs.frames.workload_frame`)
reads them beside the UUID, so that an image called ``vllm-openai`` or
tagged ``deepspeed`` is evidence of the class
(:mod:`kcloud_analyzer.workload_analyzer.evidence`).
"""

import oslo_messaging

from kcloud_analyzer.metrics_collector import normalise
from kcloud_analyzer.metrics_collector import nova


class GlanceImageEndpoint(nova.RecordEndpoint):
    """Glance image notifications -> image names, properties, tags."""

    filter_rule = oslo_messaging.NotificationFilter(
        event_type=r'^image\.(create|update|upload)$')

    SERVICE = 'Glance'

    def _handle(self, message):
        payload = self._payload(message)
        image_id = payload.get('id')
        self._check_ids(uuid=image_id)
        name = payload.get('name')
        properties = payload.get('properties') or {}
        tags = payload.get('tags') or []
        if (name is not None and not isinstance(name, str)) or not (
                isinstance(properties, dict) and isinstance(tags, list)):
            raise normalise.MalformedMessage(
                'name, properties or tags of an unexpected type')

        def text(value):
            return normalise.clean_text(str(value), nova.MAX_RECORD_TEXT)

        self.db.image_set(self.context, image_id, {
            'name': text(name) if name else None,
            'properties': {
                text(key): text(value) for key, value in
                sorted(properties.items())[:nova.MAX_METADATA_ITEMS]
                if isinstance(value, (str, int, float, bool))},
            'tags': sorted({text(t) for t in tags
                            if isinstance(t, str)})[:nova.MAX_TAGS]})
