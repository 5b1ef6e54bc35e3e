// Formatting shared by the pages. Times are epoch milliseconds from the API.

export function dateTime(ms) {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function date(ms) {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toLocaleDateString(undefined, { dateStyle: 'medium' });
}

/** "2026-11-26 10:05 UTC": the admin pages count days in UTC, so they show UTC. */
export function utcDateTime(ms) {
  if (ms === null || ms === undefined) return '—';
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * The one minutes format of every page: the API's minutes (4.4) as "4 min 24 s", the same
 * words as duration() (the meter's countdown, credited time, the admin's lengths).
 */
export function minutes(value) {
  return duration(Number(value || 0) * 60_000);
}

/** Whole seconds in the same format: "29 min 5 s". */
export const seconds = (value) => duration(Number(value || 0) * 1000);

export function percent(rate) {
  return `${(Number(rate || 0) * 100).toFixed(1)}%`;
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

export function titleCase(text) {
  if (!text) return '';
  return String(text).replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
}

const PROVIDER_NAMES = { gemini: 'Gemini', openai: 'OpenAI' };

export function providerName(provider) {
  return PROVIDER_NAMES[provider] || titleCase(provider || '');
}

/** "10:05:03 UTC": a time within an admin's session timeline. */
export function utcTime(ms) {
  if (ms === null || ms === undefined) return '—';
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}

/** "2026-11-26 10:05:03 UTC". */
export function utcDateTimeSeconds(ms) {
  if (ms === null || ms === undefined) return '—';
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/**
 * When something comes next, seen from `now` (the server's time of the answer, which the dev
 * clock may have moved): "in 10 min" within the hour, "today at 14:05", else the date.
 */
export function nextTime(at, now) {
  const ahead = Number(at) - Number(now);
  if (ahead >= 0 && ahead < 3_600_000) return `in ${duration(ahead)}`;
  const sameDay = new Date(at).toDateString() === new Date(now).toDateString();
  if (sameDay) return `today at ${new Date(at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}`;
  return date(at);
}

/** A length of time: "45 s", "2 min 5 s", "1 h 3 min". */
export function duration(ms) {
  const total = Math.max(0, Math.round(Number(ms || 0) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return m ? `${h} h ${m} min` : `${h} h`;
  if (m) return s ? `${m} min ${s} s` : `${m} min`;
  return `${s} s`;
}
