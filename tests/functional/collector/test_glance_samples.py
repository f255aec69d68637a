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
"""Glance's image notification (producers/glance/SOURCE.md) and Nova's
samples through the real RabbitMQ: the name, properties and tags of the
image an instance runs reach the classifier's evidence."""

import uuid

from kcloud_analyzer.jobs import frames
from kcloud_analyzer.workload_analyzer import evidence
from tests.functional.collector import producers



def _instance(send):
    """Nova's instance.create.end sample for a new instance of a new
    image; returns their UUIDs (the workload is the instance)."""
    instance, image = str(uuid.uuid4()), str(uuid.uuid4())
    send('nova', producers.nova_sample('instance-create-end', {
        'uuid': instance, 'image_uuid': image}))
    return instance, image


def _image_evidence(context, instance):
    """The text of the workload's image and the class its words point to
    (None when they point to none), as the agent's jobs read them."""
    for workloads in frames.workload_batches(context):
        row = workloads.loc[workloads['workload_id'] == instance]
        if len(row):
            break
    _, found = evidence.record_log_odds(frames.records(row), 1)
    image = [e for e in found[0] if e['source'] == 'image']
    return (row['image'].iloc[0],
            image[0]['points_to'] if image else None)


def test_an_image_name_from_glance_is_evidence(db, cloud):
    send, stats, context = cloud
    instance, image = _instance(send)
    # Nova names the image by UUID only: no word, no evidence
    assert _image_evidence(context, instance) == (image, None)

    # Glance's own image (a CirrOS disk) says nothing of the class either
    send('glance', producers.glance_notification(
        'image.update', {'id': image}))
    text, points_to = _image_evidence(context, instance)
    assert text == image + ' cirros-0.3.2-x86_64-disk'
    assert points_to is None

    # renamed and tagged as a serving image
    send('glance', producers.glance_notification('image.update', {
        'id': image, 'name': 'vllm-openai-0.6.3',
        'properties': {'os_distro': 'ubuntu'}, 'tags': ['gpu']}))
    text, points_to = _image_evidence(context, instance)
    assert text == image + ' vllm-openai-0.6.3 os_distro ubuntu gpu'
    assert points_to == 'serving'
    assert stats.malformed == 0 and stats.messages == 3


def test_a_malformed_image_is_counted_and_the_next_is_taken(db, cloud):
    send, stats, context = cloud
    instance, image = _instance(send)
    send('glance', producers.glance_notification(
        'image.update', {'id': image, 'properties': ['not', 'a', 'dict']}))
    assert stats.malformed == 1
    send('glance', producers.glance_notification(
        'image.create', {'id': image, 'name': 'deepspeed-train'}))
    assert _image_evidence(context, instance)[1] == 'training'
