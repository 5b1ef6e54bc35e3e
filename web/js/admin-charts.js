// The Chart.js charts of GET /api/admin/sessions/timeseries: sessions per day stacked by close
// code, switch rate per day, and (when the API gives them) provider failures and switches per day.

import { $ } from './dom.js';
import { plural, providerName } from './format.js';
import { codeLabel } from './admin-words.js';

const PALETTE = ['#d97706', '#dc2626', '#7c3aed', '#2563eb', '#db2777', '#0891b2', '#65a30d', '#78716c'];
const PROVIDER_COLOURS = { gemini: '#2563eb', openai: '#16a34a' };
const CLEAN_COLOUR = '#94a3b8';
const charts = {};

/** Draws the charts; answers an error sentence when the chart library is missing. */
export function renderCharts(series) {
  if (typeof window.Chart !== 'function') return 'The charts are unavailable: the chart library did not load.';
  const dates = series.map((day) => day.date);
  const codes = [...new Set(series.flatMap((day) => Object.keys(day.disconnects || {})))]
    .sort((a, b) => Number(a) - Number(b));
  const clean = series.map((day) => Math.max(0, Number(day.sessions || 0)
    - Object.values(day.disconnects || {}).reduce((sum, n) => sum + Number(n), 0)));
  const totalSessions = series.reduce((sum, day) => sum + Number(day.sessions || 0), 0);
  const totalCodes = series.reduce((sum, day) => sum + Object.values(day.disconnects || {})
    .reduce((s, n) => s + Number(n), 0), 0);
  const range = dates.length ? ` from ${dates[0]} to ${dates[dates.length - 1]}` : '';
  $('#chart-sessions').setAttribute('aria-label',
    `Sessions per day${range}: ${plural(totalSessions, 'session')}, ${totalCodes} ended with a close code.`);
  draw('sessions', 'bar', {
    labels: dates,
    datasets: [
      { label: 'No close code', data: clean, backgroundColor: CLEAN_COLOUR },
      ...codes.map((code, i) => ({
        label: `${code} ${codeLabel(code)}`.trim(),
        data: series.map((day) => Number((day.disconnects || {})[code] || 0)),
        backgroundColor: PALETTE[i % PALETTE.length],
      })),
    ],
  }, { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } });
  draw('switch', 'line', {
    labels: dates,
    datasets: [{
      label: 'Sessions that switched provider (%)',
      data: series.map(switchPercent),
      borderColor: '#0f766e',
      backgroundColor: '#0f766e',
      tension: 0,
    }],
  }, { scales: { y: { beginAtZero: true, suggestedMax: 100, ticks: { callback: (v) => `${v}%` } } } });
  renderFailures(series, dates, range);
  return '';
}

/** Provider failures per day, stacked by provider, with the day's switches as a line. */
function renderFailures(series, dates, range) {
  const card = $('#chart-failures-card');
  const given = series.some((day) => day.failuresByProvider && typeof day.failuresByProvider === 'object');
  card.hidden = !given;
  if (!given) {
    if (charts.failures) charts.failures.destroy();
    delete charts.failures;
    return;
  }
  const providers = [...new Set(['gemini', 'openai', ...series.flatMap((day) => Object.keys(day.failuresByProvider || {}))])];
  const failures = providers.map((p) => series.map((day) => Number((day.failuresByProvider || {})[p] || 0)));
  const switches = series.map((day) => Number(day.switches || 0));
  const total = failures.flat().reduce((a, b) => a + b, 0);
  $('#chart-failures').setAttribute('aria-label', `Provider failures per day${range}: ${providers
    .map((p, i) => `${providerName(p)} ${failures[i].reduce((a, b) => a + b, 0)}`).join(', ')}`
    + ` (${total} in all); ${plural(switches.reduce((a, b) => a + b, 0), 'switch', 'switches')}.`);
  draw('failures', 'bar', {
    labels: dates,
    datasets: [
      ...providers.map((p, i) => ({
        label: `${providerName(p)} failures`, data: failures[i], stack: 'failures',
        backgroundColor: PROVIDER_COLOURS[p] || PALETTE[i % PALETTE.length],
      })),
      { label: 'Switches', data: switches, type: 'line', stack: 'switches', borderColor: '#7c3aed', backgroundColor: '#7c3aed', tension: 0 },
    ],
  }, { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } });
}

function switchPercent(day) {
  const rate = day.switchRate !== undefined
    ? Number(day.switchRate)
    : (day.sessions ? Number(day.switches || 0) / Number(day.sessions) : 0);
  return Math.round(rate * 1000) / 10;
}

/** Draws (or redraws) the chart on canvas #chart-<name>; also the common mistakes' (admin-mistakes.js). */
export function draw(name, type, data, options) {
  if (charts[name]) charts[name].destroy();
  charts[name] = new window.Chart($(`#chart-${name}`), {
    type,
    data,
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { position: 'bottom' } },
      ...options,
    },
  });
}
