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
"""The SVG charts of the panels: what they draw is what they are given."""

import re
import xml.etree.ElementTree as ET

from kcloud_analyzer_dashboard import charts

SVG = '{http://www.w3.org/2000/svg}'


def _parse(markup):
    return ET.fromstring(markup)


def test_nice_ticks_cover_the_top():
    assert charts.nice_ticks(9.3) == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert charts.nice_ticks(0.42)[-1] >= 0.42
    assert charts.nice_ticks(0) == [0.0, 1.0]


def test_stacked_bars_stack_each_period():
    markup = charts.stacked_bars(
        ['11-30 10:00', '11-30 11:00'],
        {'compute': [1.0, 2.0], 'gpu': [3.0, 0.0], 'npu': [0.0, 0.0]},
        'USD', 'Cost over time')
    root = _parse(markup)
    bars = root.findall(SVG + 'rect[@fill="%s"]'
                        % charts.LINE_COLOURS['compute'])
    # one bar per non-zero value plus the legend's swatch
    assert len(bars) == 3
    titles = [t.text for t in root.iter(SVG + 'title')]
    assert '11-30 10:00 gpu: 3.00 USD' in titles
    assert '11-30 11:00 compute: 2.00 USD' in titles
    # No segment for a line that is zero everywhere, nor in the legend.
    assert 'npu' not in markup
    # The 10:00 bar (4.00) is twice as tall as the 11:00 one (2.00).
    heights = {}
    for rect in root.iter(SVG + 'rect'):
        title = rect.find(SVG + 'title')
        if title is not None:
            period = title.text.split(' ')[0] + title.text.split(' ')[1]
            heights[period] = heights.get(period, 0) + float(
                rect.get('height'))
    assert abs(heights['11-3010:00'] - 2 * heights['11-3011:00']) < 1


def test_labels_are_escaped():
    markup = charts.horizontal_bars(
        [('<script>x</script>', {'gpu': 2.0})], ('gpu',), 'USD', 'By')
    assert '<script>' not in markup
    _parse(markup)


def test_empty_chart_says_so():
    markup = charts.stacked_bars([], {}, 'USD', 'Cost', empty='Nothing.')
    assert 'Nothing.' in markup
    _parse(markup)


def test_lines_break_at_gaps():
    markup = charts.lines(['a', 'b', 'c', 'd'],
                          {'gpu_utilization': [10.0, None, 30.0, 40.0]},
                          '%', 'Utilisation', maximum=100)
    root = _parse(markup)
    polylines = root.findall(SVG + 'polyline')
    assert [len(p.get('points').split()) for p in polylines] == [1, 2]
    # The axis reaches 100 % even when the series stays lower.
    assert re.search(r'>100</text>', markup)


def _axis_labels(root, labels):
    return [(float(text.get('x')), text.text)
            for text in root.iter(SVG + 'text') if text.text in labels]


def test_time_labels_do_not_touch():
    # 6 hours of 5-minute windows, labelled with their date and time.
    labels = ['11-30 %02d:%02d' % (16 + i // 12, 5 * (i % 12))
              for i in range(72)]
    root = _parse(charts.lines(labels, {'GPU': [50.0] * 72}, '%',
                               'Utilisation'))
    shown = _axis_labels(root, set(labels))
    assert len(shown) >= 4
    assert shown[0][1] == labels[0]
    width = len(labels[0]) * charts.CHAR_WIDTH
    gaps = [b[0] - a[0] for a, b in zip(shown, shown[1:], strict=False)]
    assert min(gaps) > width, gaps
    # Short labels are shown more densely.
    days = ['11-%02d' % day for day in range(1, 31)]
    root = _parse(charts.stacked_bars(days, {'gpu': [1.0] * 30}, 'USD',
                                      'Cost'))
    assert len(_axis_labels(root, set(days))) > len(shown)


def test_bar_labels_are_cut_only_past_their_room():
    kinds = ['Use a GPU partition (MIG / vGPU)',
             'A recommendation kind with a very long name']
    root = _parse(charts.horizontal_bars(
        [(kind, {'saving': 10.0}) for kind in kinds], ('saving',), 'USD',
        'Savings'))
    texts = [text.text for text in root.iter(SVG + 'text')]
    assert kinds[0] in texts
    assert kinds[1] not in texts
    assert kinds[1][:charts.BAR_LABEL_CHARS - 1] + '…' in texts
