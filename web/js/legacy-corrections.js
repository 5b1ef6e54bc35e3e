// The corrections the old practice page kept in localStorage, moved to the learner's account
// (POST /api/learning/corrections/import, at most 200 a call). Items leave localStorage only
// once the server has confirmed them; the import is idempotent server-side (ids derive from
// the content), so a visit interrupted halfway only repeats what it had sent. Key and format:
// docs/web.md ("localStorage").

/** The old page's key: a JSON array of corrections (or {corrections: [...]}). */
export const LEGACY_CORRECTIONS_KEY = 'speakpho.corrections';
export const IMPORT_CHUNK = 200;
const MAX_TEXT = 4000;
const CATEGORIES = ['grammar', 'tone', 'vocabulary', 'word_order', 'pronunciation'];

function readLegacy(storage) {
  let raw;
  try {
    raw = storage.getItem(LEGACY_CORRECTIONS_KEY);
  } catch (err) {
    return null;
  }
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw);
    if (Array.isArray(value)) return value;
    if (value && Array.isArray(value.corrections)) return value.corrections;
  } catch (err) {
    // unreadable: left as it is
  }
  return null;
}

function epochMs(value) {
  if (typeof value === 'string' && value.trim() && Number.isNaN(Number(value))) value = Date.parse(value);
  const n = Number(value);
  if (value === null || value === undefined || value === '' || !Number.isFinite(n) || n < 0) return undefined;
  const ms = n < 1e11 ? n * 1000 : n; // seconds from an older format
  return ms <= 1e14 ? Math.round(ms) : undefined;
}

const text = (value) => (typeof value === 'string' && value.length > 0 && value.length <= MAX_TEXT ? value : null);

/** The import item for one stored correction, or null when the API could never take it (it stays stored). */
export function toImportItem(stored) {
  if (!stored || typeof stored !== 'object') return null;
  const original = text(stored.original);
  const correction = text(stored.correction);
  if (!original || !correction) return null;
  const item = { original, correction };
  if (text(stored.explanation)) item.explanation = stored.explanation;
  const category = typeof stored.category === 'string' ? stored.category.trim().toLowerCase().replace(/[\s-]+/g, '_') : '';
  if (CATEGORIES.includes(category)) item.category = category;
  const createdAt = epochMs(stored.createdAt ?? stored.timestamp);
  if (createdAt !== undefined) item.createdAt = createdAt;
  return item;
}

const namesCreatedAt = (err) => JSON.stringify((err && err.details) || '').includes('createdAt');

/**
 * Imports what the old page left. `api` is api.js's api() (the learner's token).
 * @returns {Promise<null | {imported: number, skipped: number, kept: number}>} null when there was nothing
 */
export async function migrateLegacyCorrections(api, storage = globalThis.localStorage) {
  const stored = readLegacy(storage);
  if (!stored || !stored.length) return null;
  const entries = stored.map((raw) => ({ raw, item: toImportItem(raw) }));
  const sendable = entries.filter((e) => e.item);
  const result = { imported: 0, skipped: 0, kept: 0 };
  const confirmed = new Set();
  let failure = null;
  for (let i = 0; i < sendable.length && !failure; i += IMPORT_CHUNK) {
    const chunk = sendable.slice(i, i + IMPORT_CHUNK);
    let items = chunk.map((e) => e.item);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const answer = await api('/api/learning/corrections/import', { method: 'POST', body: { corrections: items } });
        result.imported += Number(answer.imported || 0);
        result.skipped += Number(answer.skipped || 0);
        chunk.forEach((e) => confirmed.add(e));
        break;
      } catch (err) {
        // A time the server thinks is in the future (this device's clock is ahead): import without it.
        if (attempt === 0 && err.status === 422 && namesCreatedAt(err)) {
          items = items.map((item) => { const copy = { ...item }; delete copy.createdAt; return copy; });
          continue;
        }
        failure = err;
        break;
      }
    }
  }
  const left = entries.filter((e) => !confirmed.has(e)).map((e) => e.raw);
  result.kept = left.length;
  try {
    if (left.length) storage.setItem(LEGACY_CORRECTIONS_KEY, JSON.stringify(left));
    else storage.removeItem(LEGACY_CORRECTIONS_KEY);
  } catch (err) {
    // storage unavailable: the server has them; a later visit re-imports nothing new
  }
  if (failure) throw failure;
  return result;
}
