// A session's timeline (GET /api/admin/sessions/{id} → data.timeline): the model the strip
// is drawn from (segments per provider, markers, heartbeat gaps), its one-sentence summary,
// each entry's details, and the timeline as a text list.

import { $, fill, h } from './dom.js';
import { duration, plural, providerName, utcDateTimeSeconds, utcTime } from './format.js';
import { codeText, endedByText, eventName, isLive } from './admin-words.js';
import { drawStrip, legend } from './admin-strip.js';

const END_TYPES = new Set(['ended', 'timed_out', 'superseded']);
const MAX_LIVE_MS = 24 * 3600 * 1000; // a browser clock far from the server's cannot stretch the strip further

/** By time; server entries first on ties; otherwise as recorded (as speakpho.story.ordered). */
export function ordered(entries) {
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => (Number(a.entry.at) - Number(b.entry.at))
      || ((a.entry.source === 'server' ? 0 : 1) - (b.entry.source === 'server' ? 0 : 1))
      || (a.index - b.index))
    .map(({ entry }) => entry);
}

/**
 * {start, end, live, segments: [{provider, from, to, open}], gaps: [{from, to}], entries}.
 * A segment runs from the start, a connection or a switch to the next disconnect, switch or
 * end. Between a disconnect and the next connection nothing runs.
 */
export function timelineModel(timeline, session, nowMs = Date.now()) {
  const entries = ordered((timeline || []).filter((e) => e && Number.isFinite(Number(e.at))));
  const live = isLive(session);
  const times = entries.flatMap((e) => [Number(e.at), Number(e.to) || 0]).filter((t) => t > 0);
  const start = Number(session.startedAt) || Math.min(...times);
  const last = Math.max(start, ...times);
  let end = live ? Math.max(last, Math.min(nowMs, start + MAX_LIVE_MS)) : Math.max(last, Number(session.endedAt) || 0);
  if (end <= start) end = start + 1000;

  const segments = [];
  let current = null;
  const open = (provider, at) => { current = { provider: provider || 'unknown', from: at }; };
  const close = (at) => {
    if (current) segments.push({ ...current, to: Math.max(current.from, at), open: false });
    current = null;
  };
  if (!entries.some((e) => e.type === 'started')) open(session.initialProvider || session.provider, start);
  for (const entry of entries) {
    const at = Number(entry.at);
    if (entry.type === 'started') {
      if (!current) open(entry.provider || session.initialProvider, at);
    } else if (entry.type === 'provider_connected') {
      if (!current || current.provider !== entry.provider) {
        close(at);
        open(entry.provider, at);
      }
    } else if (entry.type === 'provider_disconnected') {
      close(at);
    } else if (entry.type === 'provider_switched') {
      close(at);
      open(entry.to, at);
    } else if (END_TYPES.has(entry.type)) {
      // A timed-out session's client went silent at its last heartbeat (endedAt), not at the sweep.
      close(Math.min(at, Number(session.endedAt) || at));
    }
  }
  if (current) {
    const stillRunning = live;
    close(end);
    segments[segments.length - 1].open = stillRunning;
  }
  const gaps = entries.filter((e) => e.type === 'heartbeat_gap' && e.from && e.to)
    .map((e) => ({ from: Number(e.from), to: Number(e.to) }));
  return { start, end, live, segments, gaps, entries };
}

/** [term, value] pairs for one entry (the tooltip and the marker's label). */
export function entryDetails(entry) {
  const rows = [['Time', utcDateTimeSeconds(entry.at)], ['Event', eventName(entry.type)]];
  if (entry.type === 'provider_switched') {
    rows.push(['Provider', `${providerName(entry.from)} → ${providerName(entry.to)}`]);
    rows.push(['Cause', entry.code !== undefined && entry.code !== null ? codeText(entry.code) : 'no code given']);
  } else if (entry.provider) {
    rows.push(['Provider', providerName(entry.provider)]);
  }
  if (entry.type !== 'provider_switched' && entry.code !== undefined && entry.code !== null) {
    rows.push(['Code', codeText(entry.code)]);
  }
  if (entry.reason) rows.push(['Reason', String(entry.reason)]);
  if (entry.connectMs !== undefined && entry.connectMs !== null) rows.push(['Connect time', `${entry.connectMs} ms`]);
  if (entry.type === 'heartbeat_gap' && entry.from && entry.to) {
    rows.push(['Silence', `${utcTime(entry.from)} to ${utcTime(entry.to)} (${duration(entry.to - entry.from)})`]);
  }
  if (entry.endedBy) rows.push(['Ended by', endedByText(entry.endedBy)]);
  if (entry.endReason) rows.push(['End reason', String(entry.endReason).replace(/_/g, ' ')]);
  rows.push(['Source', entry.source === 'client' ? 'the app (client event)' : 'the server']);
  if (entry.receivedAt) rows.push(['Received', utcDateTimeSeconds(entry.receivedAt)]);
  return rows;
}

/** One line for a marker's aria-label and the list: "Disconnected at 10:05:40 UTC, Gemini, code 1011 Server error". */
export function entrySentence(entry) {
  const parts = [`${eventName(entry.type)} at ${utcTime(entry.at)}`];
  for (const [term, value] of entryDetails(entry).slice(2)) {
    if (term === 'Source' || term === 'Received') continue;
    parts.push(`${term.toLowerCase()}: ${value}`);
  }
  return parts.join(', ');
}

/** The picture in words (the strip's aria-label). */
export function summarize(model, session) {
  const count = (type) => model.entries.filter((e) => e.type === type).length;
  const runs = model.segments.map((s) => `${providerName(s.provider)} for ${duration(s.to - s.from)}${s.open ? ' (live)' : ''}`);
  const parts = [`Session timeline from ${utcTime(model.start)} to ${model.live ? 'now' : utcTime(model.end)}`
    + ` (${duration(model.end - model.start)})`];
  parts.push(runs.length ? `connected to ${runs.join(', then ')}` : 'never connected');
  const disconnects = model.entries.filter((e) => e.type === 'provider_disconnected');
  if (disconnects.length) {
    const codes = disconnects.map((e) => (e.code !== undefined && e.code !== null ? codeText(e.code) : 'no code'));
    parts.push(`${plural(disconnects.length, 'disconnect')} (${codes.join(', ')})`);
  }
  if (count('reconnect_attempt')) parts.push(plural(count('reconnect_attempt'), 'reconnect attempt'));
  const switches = model.entries.filter((e) => e.type === 'provider_switched');
  if (switches.length) {
    parts.push(`${plural(switches.length, 'switch', 'switches')} (${switches
      .map((e) => `to ${providerName(e.to)}, cause ${e.code ? codeText(e.code) : 'none given'}`).join('; ')})`);
  }
  if (count('heartbeat_gap')) parts.push(plural(count('heartbeat_gap'), 'heartbeat gap'));
  const end = model.entries.find((e) => END_TYPES.has(e.type));
  if (model.live) parts.push('still live');
  else if (end || session.endedBy) parts.push(`ended by ${endedByText((end && end.endedBy) || session.endedBy).toLowerCase()}`);
  return `${parts.join('; ')}.`;
}

function listItem(entry) {
  return h('li', { class: `tl-item tl-${entry.type}`, dataset: { type: entry.type } },
    h('time', { datetime: new Date(Number(entry.at)).toISOString() }, utcTime(entry.at)),
    ' ', h('strong', {}, eventName(entry.type)),
    entryDetails(entry).slice(2).filter(([term]) => term !== 'Source' && term !== 'Received')
      .map(([term, value]) => h('span', { class: 'tl-detail' }, ` · ${term}: ${value}`)),
    entry.source === 'client' ? h('span', { class: 'tl-source' }, ' (from the app)') : null);
}

/** Fills the detail's timeline section; hidden when the API gives no timeline. */
export function renderTimeline(data, session) {
  const section = $('#timeline-section');
  if (!Array.isArray(data.timeline)) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const empty = data.timeline.length === 0 && !isLive(session);
  $('#timeline-empty').hidden = !empty;
  if (empty) {
    fill($('#timeline-strip'));
    fill($('#timeline-list'));
    fill($('#timeline-legend'));
    return;
  }
  const model = timelineModel(data.timeline, session);
  drawStrip($('#timeline-strip'), model, summarize(model, session), (entry) => ({
    label: entrySentence(entry), details: entryDetails(entry),
  }));
  fill($('#timeline-legend'), legend(model));
  fill($('#timeline-list'), model.entries.map(listItem));
}
