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
"""Charts drawn on the server as inline SVG.

Horizon pages are rendered on the server, and a dashboard host often has
no way out to the internet: SVG built here needs no JavaScript library
and no static file, and reads the same in every browser. Plain functions
over numbers, free of Django, so they are tested without it; labels are
escaped here.
"""

import html
import math

#: Colours of the cost lines, stable across charts so that a line is
#: recognised from one chart to the next (colour-blind-safe palette).
LINE_COLOURS = {
    'compute': '#4e79a7', 'gpu': '#f28e2b', 'npu': '#b07aa1',
    'storage': '#9c755f', 'network': '#76b7b2', 'energy': '#59a14f',
    'idle': '#bab0ac',
}
SERIES_COLOURS = ('#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1',
                  '#76b7b2', '#edc948', '#ff9da7', '#9c755f')

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 130, 16, 44
FONT = 'font-family="sans-serif" font-size="11"'
#: width of a character of :data:`FONT`, generously, in SVG units
CHAR_WIDTH = 6.5
#: characters of a horizontal bar's label shown before it is cut short
BAR_LABEL_CHARS = 32


def nice_ticks(top, count=5):
    """Round tick values from 0 to at least ``top``."""
    if not top or top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10)
                if m * magnitude >= raw)
    ticks = [0.0]
    while ticks[-1] < top - 1e-12:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _tick_label(value):
    if value >= 1000:
        return '%d' % round(value)
    if value == int(value):
        return '%d' % value
    return ('%.2f' % value).rstrip('0')


def _open(label, height=HEIGHT):
    return ('<svg xmlns="http://www.w3.org/2000/svg" role="img" '
            'class="kcloud-chart" viewBox="0 0 %d %d" width="100%%" '
            'style="max-width:%dpx" aria-label="%s">'
            % (WIDTH, height, WIDTH, html.escape(label)))


def _y_axis(ticks, unit, scale, height=HEIGHT):
    parts = []
    for tick in ticks:
        y = scale(tick)
        parts.append(
            '<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e5e5e5"/>'
            '<text x="%d" y="%.1f" text-anchor="end" %s>%s</text>'
            % (LEFT, WIDTH - RIGHT, y, y, LEFT - 6, y + 4, FONT,
               _tick_label(tick)))
    parts.append('<text x="12" y="%d" %s transform="rotate(-90 12 %d)" '
                 'text-anchor="middle">%s</text>'
                 % ((height - BOTTOM + TOP) // 2, FONT,
                    (height - BOTTOM + TOP) // 2, html.escape(unit)))
    return parts


def x_label_step(labels, width):
    """Label every n-th of ``labels`` so that none touches the next
    under an axis ``width`` wide."""
    longest = max(len(label) for label in labels)
    fit = max(1, int(width // (longest * CHAR_WIDTH + 12)))
    return max(1, math.ceil(len(labels) / fit))


def _x_labels(labels, centre):
    every = x_label_step(labels, WIDTH - LEFT - RIGHT)
    return ['<text x="%.1f" y="%d" text-anchor="middle" %s>%s</text>'
            % (centre(i), HEIGHT - BOTTOM + 16, FONT, html.escape(label))
            for i, label in enumerate(labels) if i % every == 0]


def _legend(names, colours):
    return ['<rect x="%d" y="%d" width="10" height="10" fill="%s"/>'
            '<text x="%d" y="%d" %s>%s</text>'
            % (WIDTH - RIGHT + 14, TOP + 16 * i, colours[name],
               WIDTH - RIGHT + 30, TOP + 16 * i + 9, FONT,
               html.escape(name))
            for i, name in enumerate(names)]


def _empty(label, message):
    return (_open(label, 60) + '<text x="%d" y="34" text-anchor="middle" '
            '%s>%s</text></svg>' % (WIDTH // 2, FONT,
                                    html.escape(message)))


def stacked_bars(labels, series, unit, label, empty='No data.'):
    """Vertical bars, one per label, stacked by series.

    ``series`` maps a name (a cost line) to one value per label, in the
    order the segments are stacked; the names are coloured by
    :data:`LINE_COLOURS`, others by :data:`SERIES_COLOURS`.
    """
    names = [name for name, values in series.items()
             if any(values)]
    if not labels or not names:
        return _empty(label, empty)
    colours = _colours(names)
    totals = [sum(series[name][i] or 0.0 for name in names)
              for i in range(len(labels))]
    ticks = nice_ticks(max(totals))
    plot_height = HEIGHT - TOP - BOTTOM
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / len(labels)

    def scale(value):
        return HEIGHT - BOTTOM - plot_height * value / ticks[-1]

    parts = [_open(label)] + _y_axis(ticks, unit, scale)
    for i, period in enumerate(labels):
        base = 0.0
        x = LEFT + slot * i + slot * 0.1
        for name in names:
            value = series[name][i] or 0.0
            if value <= 0:
                continue
            top, bottom = scale(base + value), scale(base)
            parts.append(
                '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" '
                'fill="%s"><title>%s %s: %s %s</title></rect>'
                % (x, top, slot * 0.8, max(bottom - top, 0.5),
                   colours[name], html.escape(period), html.escape(name),
                   '%.2f' % value, html.escape(unit)))
            base += value
    parts += _x_labels(labels, lambda i: LEFT + slot * (i + 0.5))
    parts.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#666"/>'
                 % (LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, HEIGHT - BOTTOM))
    parts += _legend(names, colours)
    parts.append('</svg>')
    return ''.join(parts)


def horizontal_bars(rows, series_names, unit, label, empty='No data.'):
    """One horizontal bar per row, stacked by series.

    ``rows`` is a list of ``(label, {series name: value})``, drawn top
    down in the order given.
    """
    names = [name for name in series_names
             if any(values.get(name) for _label, values in rows)]
    if not rows or not names:
        return _empty(label, empty)
    colours = _colours(names)
    bar, gap = 18, 8
    height = max(TOP + len(rows) * (bar + gap) + 30,
                 TOP + 16 * len(names) + 8)
    left = int(BAR_LABEL_CHARS * CHAR_WIDTH) + 8
    # Room on the right of the longest bar for its total.
    plot_width = WIDTH - left - RIGHT - 56
    totals = [sum(values.get(name) or 0.0 for name in names)
              for _label, values in rows]
    ticks = nice_ticks(max(totals))

    def scale(value):
        return left + plot_width * value / ticks[-1]

    parts = [_open(label, height)]
    axis_y = TOP + len(rows) * (bar + gap)
    for tick in ticks:
        x = scale(tick)
        parts.append(
            '<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#e5e5e5"/>'
            '<text x="%.1f" y="%d" text-anchor="middle" %s>%s</text>'
            % (x, x, TOP - 4, axis_y, x, axis_y + 14, FONT,
               _tick_label(tick)))
    parts.append('<text x="%d" y="%d" text-anchor="middle" %s>%s</text>'
                 % (left + plot_width // 2, axis_y + 27, FONT,
                    html.escape(unit)))
    for i, (row_label, values) in enumerate(rows):
        y = TOP + i * (bar + gap)
        shown = (row_label if len(row_label) <= BAR_LABEL_CHARS
                 else row_label[:BAR_LABEL_CHARS - 1] + '…')
        parts.append('<text x="%d" y="%d" text-anchor="end" %s>%s'
                     '<title>%s</title></text>'
                     % (left - 6, y + 13, FONT, html.escape(shown),
                        html.escape(row_label)))
        base = 0.0
        for name in names:
            value = values.get(name) or 0.0
            if value <= 0:
                continue
            parts.append(
                '<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s">'
                '<title>%s %s: %.2f %s</title></rect>'
                % (scale(base), y, max(scale(base + value) - scale(base),
                                       0.5), bar, colours[name],
                   html.escape(row_label), html.escape(name), value,
                   html.escape(unit)))
            base += value
        parts.append('<text x="%.1f" y="%d" %s>%s</text>'
                     % (scale(base) + 4, y + 13, FONT, '%.2f' % base))
    parts += _legend(names, colours)
    parts.append('</svg>')
    return ''.join(parts)


def lines(labels, series, unit, label, maximum=None, empty='No data.'):
    """Lines over time, one per series; ``None`` values leave a gap.

    ``series`` maps a name to one value per label.
    """
    names = [name for name, values in series.items()
             if any(v is not None for v in values)]
    if not labels or not names:
        return _empty(label, empty)
    colours = _colours(names)
    top = max(v for name in names for v in series[name] if v is not None)
    ticks = nice_ticks(max(top, maximum or 0) if maximum else top)
    plot_height = HEIGHT - TOP - BOTTOM
    plot_width = WIDTH - LEFT - RIGHT
    step = plot_width / max(len(labels) - 1, 1)

    def scale(value):
        return HEIGHT - BOTTOM - plot_height * value / ticks[-1]

    def x(i):
        return LEFT + step * i

    parts = [_open(label)] + _y_axis(ticks, unit, scale)
    for name in names:
        runs, run = [], []
        for i, value in enumerate(series[name]):
            if value is None:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append('%.1f,%.1f' % (x(i), scale(value)))
        if run:
            runs.append(run)
        for run in runs:
            parts.append('<polyline fill="none" stroke="%s" '
                         'stroke-width="2" points="%s"><title>%s</title>'
                         '</polyline>' % (colours[name], ' '.join(run),
                                          html.escape(name)))
    parts += _x_labels(labels, x)
    parts.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#666"/>'
                 % (LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, HEIGHT - BOTTOM))
    parts += _legend(names, colours)
    parts.append('</svg>')
    return ''.join(parts)


def _colours(names):
    spare = iter(SERIES_COLOURS * (len(names) // len(SERIES_COLOURS) + 1))
    return {name: LINE_COLOURS.get(name) or next(spare) for name in names}
