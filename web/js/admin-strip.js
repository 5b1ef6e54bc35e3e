// The timeline strip: an SVG picture of a session along its duration (segments coloured by
// provider, heartbeat gaps) with a layer of focusable markers on top, and the tooltip that
// shows a marker's details on hover or keyboard focus. Built with svg()/h(): no HTML parsing.

import { fill, h, svg } from './dom.js';
import { providerName, utcTime } from './format.js';
import { endedByText } from './admin-words.js';

const MIN_WIDTH = 320;   // viewBox width: the strip's own width in pixels when drawn (at least this)
const PAD = 16;          // room for the first and last markers
const LANE = 22;         // vertical distance between marker lanes
const LANES = 3;
const BAR = 24;          // height of the provider bar
const CHAR = 6.4;        // approximate width of a label character at font-size 11

const SHAPES = {
  started: () => svg('circle', { r: 5 }),
  provider_connected: () => svg('circle', { r: 5 }),
  provider_disconnected: () => svg('path', { d: 'M-7,-5 L7,-5 L0,7 Z' }),
  reconnect_attempt: () => svg('circle', { r: 6 }),
  provider_switched: () => svg('path', { d: 'M0,-8 L8,0 L0,8 L-8,0 Z' }),
  heartbeat_gap: () => svg('rect', { x: -6, y: -6, width: 12, height: 12 }),
  ended: () => svg('rect', { x: -6, y: -6, width: 12, height: 12 }),
  timed_out: () => svg('rect', { x: -6, y: -6, width: 12, height: 12 }),
  superseded: () => svg('rect', { x: -6, y: -6, width: 12, height: 12 }),
};

/** The short text drawn next to a marker: a disconnect's code, a switch's cause, who ended it. */
function markText(entry) {
  if (entry.type === 'provider_disconnected' && entry.code) return String(entry.code);
  if (entry.type === 'provider_switched') return `→ ${providerName(entry.to)}${entry.code ? ` · ${entry.code}` : ''}`;
  if (['ended', 'timed_out', 'superseded'].includes(entry.type) && entry.endedBy) {
    return endedByText(entry.endedBy).toLowerCase();
  }
  return '';
}

/** Lane per marker, so that markers and their texts do not overlap (greedy, left to right). */
function lanes(items) {
  const ends = new Array(LANES).fill(-Infinity);
  return items.map((item) => {
    const [left, right] = item.textLeft
      ? [item.x - 9 - item.text.length * CHAR, item.x + 9]
      : [item.x - 9, item.x + 9 + item.text.length * CHAR];
    let lane = ends.findIndex((end) => end <= left);
    if (lane < 0) lane = ends.indexOf(Math.min(...ends));
    ends[lane] = right + 4;
    return lane;
  });
}

/** Draws the model into `wrap`; details(entry) → {label, details: [[term, value]]}. */
export function drawStrip(wrap, model, summary, details) {
  const W = Math.max(MIN_WIDTH, Math.round(wrap.clientWidth || 1000));
  const span = model.end - model.start;
  const x = (t) => PAD + ((Math.min(Math.max(Number(t), model.start), model.end) - model.start) / span) * (W - 2 * PAD);
  const items = model.entries.map((entry) => {
    const text = markText(entry);
    const px = x(entry.at);
    return { entry, x: px, text, textLeft: px + 9 + text.length * CHAR > W };
  });
  const laneOf = lanes(items);
  const gapRow = model.gaps.length ? 8 : 0;
  const used = Math.max(1, ...laneOf.map((l) => l + 1));
  const barTop = 12 + used * LANE;
  const height = barTop + BAR + gapRow + 26;
  const viewBox = `0 0 ${W} ${height}`;

  const picture = svg('svg', { class: 'tl-picture', viewBox, role: 'img', 'aria-label': summary },
    svg('rect', { class: 'tl-track', x: PAD, y: barTop, width: W - 2 * PAD, height: BAR, rx: 3 }),
    model.segments.map((seg) => {
      const left = x(seg.from);
      const width = Math.max(2, x(seg.to) - left);
      return svg('g', { class: `tl-seg tl-seg-${seg.provider}${seg.open ? ' tl-open' : ''}`,
        dataset: { provider: seg.provider, from: String(seg.from), to: String(seg.to) } },
      svg('rect', { x: left, y: barTop, width, height: BAR }),
      width > 70 ? svg('text', { x: left + width / 2, y: barTop + BAR / 2 + 4, 'text-anchor': 'middle' },
        `${providerName(seg.provider)}${seg.open ? ' (live)' : ''}`) : null);
    }),
    model.gaps.map((gap) => svg('rect', { class: 'tl-hbgap', x: x(gap.from), y: barTop + BAR + 2,
      width: Math.max(2, x(gap.to) - x(gap.from)), height: 6, rx: 2 })),
    items.map((item, i) => svg('line', { class: 'tl-stem', x1: item.x, x2: item.x,
      y1: 12 + laneOf[i] * LANE + 8, y2: barTop })),
    model.live ? svg('line', { class: 'tl-now', x1: x(model.end), x2: x(model.end), y1: barTop - 6, y2: barTop + BAR + 6 }) : null,
    svg('text', { class: 'tl-axis', x: PAD, y: height - 6 }, utcTime(model.start)),
    svg('text', { class: 'tl-axis', x: W - PAD, y: height - 6, 'text-anchor': 'end' },
      model.live ? `now (${utcTime(model.end)})` : utcTime(model.end)));

  const tip = h('div', { id: 'timeline-tip', class: 'tl-tip', role: 'tooltip', hidden: true });
  const markers = items.map((item, i) => marker(item, 12 + laneOf[i] * LANE, details(item.entry), tip, wrap));
  const layer = svg('svg', { class: 'tl-markers', viewBox, role: 'group',
    'aria-label': 'Events on the timeline: focus one for its details' }, markers);
  fill(wrap, picture, layer, tip);
  wrap.onkeydown = (event) => {
    if (event.key === 'Escape') hideTip(tip);
  };
}

function marker(item, y, { label, details }, tip, wrap) {
  const { entry } = item;
  const shape = (SHAPES[entry.type] || SHAPES.started)();
  const g = svg('g', {
    class: `tl-marker tl-m-${entry.type}`, transform: `translate(${item.x.toFixed(1)} ${y})`,
    tabindex: 0, role: 'img', 'aria-label': label,
    dataset: present({ type: entry.type, at: entry.at, code: entry.code, endedBy: entry.endedBy,
      provider: entry.provider || entry.to }),
  },
  svg('circle', { class: 'tl-hit', r: 11 }),
  shape,
  item.text ? svg('text', { class: 'tl-mark-text', x: item.textLeft ? -10 : 10, y: 4,
    'text-anchor': item.textLeft ? 'end' : 'start' }, item.text) : null);
  const show = () => showTip(tip, wrap, g, details);
  g.addEventListener('mouseenter', show);
  g.addEventListener('focus', show);
  g.addEventListener('click', show);
  g.addEventListener('mouseleave', () => { if (document.activeElement !== g) hideTip(tip); });
  g.addEventListener('blur', () => hideTip(tip));
  return g;
}

/** The fields that have a value, as strings (data-* attributes). */
function present(fields) {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => [k, String(v)]));
}

function showTip(tip, wrap, target, details) {
  fill(tip, h('dl', {}, details.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])));
  tip.hidden = false;
  const box = wrap.getBoundingClientRect();
  const mark = target.getBoundingClientRect();
  const left = mark.left + mark.width / 2 - box.left - tip.offsetWidth / 2;
  // Positions are set through the CSSOM (allowed by the page's CSP; no style attribute is parsed).
  tip.style.left = `${Math.max(0, Math.min(left, box.width - tip.offsetWidth))}px`;
  tip.style.top = `${mark.bottom - box.top + 6}px`;
}

function hideTip(tip) {
  tip.hidden = true;
}

/** Legend entries (the providers drawn, and what the marks mean). */
export function legend(model) {
  const providers = [...new Set(model.segments.map((s) => s.provider))];
  const item = (cls, text) => h('li', {}, h('span', { class: `tl-swatch ${cls}` }), text);
  return [
    ...providers.map((p) => item(`tl-seg-${p}`, providerName(p))),
    item('tl-track', 'not connected'),
    model.gaps.length ? item('tl-hbgap', 'heartbeat gap') : null,
    item('tl-key-disconnect', 'disconnect (code)'),
    item('tl-key-reconnect', 'reconnect attempt'),
    item('tl-key-switch', 'switch (cause)'),
    item('tl-key-end', 'end (who ended it)'),
  ];
}
