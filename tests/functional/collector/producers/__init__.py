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
"""What the real producers publish, taken from their own source trees
(each folder's SOURCE.md says from where, at which commit, under which
license), and the small helpers that read it."""

import copy
import json
import pathlib
import re

HERE = pathlib.Path(__file__).resolve().parent


def _update_recursively(target, update):
    for key, value in update.items():
        if (key in target and isinstance(target[key], dict) and
                isinstance(value, dict)):
            _update_recursively(target[key], value)
        else:
            target[key] = value


def _resolve_refs(obj, base):
    # Nova's samples share payloads through {"$ref": "file.json#"}; the
    # other keys beside "$ref" override the referenced document
    # recursively (nova/tests/json_ref.py does the same).
    if isinstance(obj, list):
        return [_resolve_refs(item, base) for item in obj]
    if not isinstance(obj, dict):
        return obj
    if '$ref' in obj:
        obj = dict(obj)
        path = base / obj.pop('$ref').partition('#')[0]
        resolved = _resolve_refs(json.loads(path.read_text()), path.parent)
        _update_recursively(resolved, _resolve_refs(obj, base))
        return resolved
    return {key: _resolve_refs(value, base) for key, value in obj.items()}


def nova_sample(name, overrides=None):
    """Nova's notification sample ``name`` (its file name without .json)
    with its references resolved; ``overrides`` update the payload's
    ``nova_object.data`` recursively."""
    folder = HERE / 'nova'
    sample = _resolve_refs(json.loads((folder / (name + '.json')).read_text()),
                           folder)
    if overrides:
        _update_recursively(sample['payload']['nova_object.data'],
                            copy.deepcopy(overrides))
    return sample


def text(*parts):
    """The text of a file under this folder."""
    return HERE.joinpath(*parts).read_text()


_SAMPLE_LINE = re.compile(
    r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?P<labels>\{[^}]*\})?'
    r'\s+(?P<value>\S+)(?P<timestamp>\s+-?\d+)?\s*$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"')


def _format(value):
    return str(value) if isinstance(value, int) else '%f' % value


def revalue(text, value, timestamp_ms=None):
    """Exposition ``text`` with the value of every sample line replaced by
    ``value(name, labels)`` (a number; None keeps the value) and its
    timestamp, where it has one, by ``timestamp_ms``. Names, labels,
    HELP and TYPE lines stay exactly as the exporter wrote them."""
    lines = []
    for line in text.splitlines():
        match = _SAMPLE_LINE.match(line)
        if match is None:
            lines.append(line)
            continue
        new = value(match['name'],
                    dict(_LABEL.findall(match['labels'] or '')))
        stamp = match['timestamp'] or ''
        if stamp and timestamp_ms is not None:
            stamp = ' %d' % timestamp_ms
        lines.append('%s%s %s%s' % (
            match['name'], match['labels'] or '',
            match['value'] if new is None else _format(new), stamp))
    return '\n'.join(lines) + '\n'


def dcgm_counters(current_names=False):
    """The counters of dcgm-exporter's default counters file as (name,
    Prometheus type, help); with ``current_names`` every deprecated DCGM
    field name replaced by its DCGM 4.6 name (dcgm_fields.h aliases)."""
    aliases = {}
    if current_names:
        for line in text('exporters', 'dcgm-4.6-field-aliases.h').splitlines():
            _, old, new = line.split('//')[0].split()
            aliases[old] = new
    counters = []
    for line in text('exporters',
                     'dcgm-exporter-default-counters.csv').splitlines():
        if not line.strip() or line.startswith('#'):
            continue
        name, kind, help_text = (part.strip() for part in line.split(',', 2))
        counters.append((aliases.get(name, name), kind, help_text))
    return counters


def dcgm_exposition(counters, gpus, value, hostname='gpu-host-1'):
    """What dcgm-exporter serves for ``counters`` on ``gpus`` (dicts with
    gpu, uuid, pci_bus_id, device, model), written as its text template
    (internal/pkg/rendermetrics/render_metrics.go) renders it: label-type
    counters become labels of every series, sorted by name; ``value(name,
    gpu)`` gives each number (ints are written with %d, floats with %f, as
    the exporter formats DCGM's int64 and double fields)."""
    labels = {name: value(name, None) for name, kind, _ in counters
              if kind == 'label'}
    extra = ''.join(',%s="%s"' % item for item in sorted(labels.items()))
    out = []
    for name, kind, help_text in counters:
        if kind == 'label':
            continue
        out.append('# HELP %s %s\n# TYPE %s %s' % (name, help_text, name,
                                                   kind))
        for gpu in gpus:
            out.append(
                '%s{gpu="%s",UUID="%s",pci_bus_id="%s",device="%s",'
                'modelName="%s",hostname="%s"%s} %s' % (
                    name, gpu['gpu'], gpu['uuid'], gpu['pci_bus_id'],
                    gpu['device'], gpu['model'], hostname, extra,
                    _format(value(name, gpu))))
    return '\n'.join(out) + '\n'


def json_text(*parts):
    """A JSON file under this folder, parsed."""
    return json.loads(text(*parts))


def neutron_notification(event_type, body, overrides=None):
    """The notification Neutron's API sends for ``event_type``
    (``floatingip.create.end`` ...) around the API-reference ``body``
    (its file name under ``neutron/`` without .json), as
    ``neutron/api/v2/base.py`` builds it; ``overrides`` update the
    resource's fields."""
    document = json.loads((HERE / 'neutron' / (body + '.json')).read_text())
    (resource, view), = document.items()
    view.update(copy.deepcopy(overrides or {}))
    payload = {resource: view}
    if event_type.endswith('.delete.end'):
        payload[resource + '_id'] = view['id']
    return {'publisher_id': 'network.controller', 'priority': 'INFO',
            'event_type': event_type, 'payload': payload}


def glance_notification(event_type, overrides=None):
    """The notification Glance sends for ``event_type`` (``image.update``
    ...): ``glance/notifier.py``'s ``format_image_notification`` of the
    API-reference image (``glance/image-notification.json``), with
    ``overrides`` of its fields."""
    payload = json.loads(
        (HERE / 'glance' / 'image-notification.json').read_text())
    payload.update(copy.deepcopy(overrides or {}))
    return {'publisher_id': 'image.localhost', 'priority': 'INFO',
            'event_type': event_type, 'payload': payload}
