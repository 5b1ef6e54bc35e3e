// A CSV export saved by the browser (the admin page's sessions and common-mistakes exports):
// the file name from Content-Disposition (else the caller's), the row count from X-Export-Rows
// (else the non-empty lines less the header), and whether the export stopped at its row limit.
import { api } from './api.js';
import { h } from './dom.js';

/** Fetches `path` with `query` as a file and downloads it; answers { name, rows, truncated }. */
export async function downloadCsv(path, query, fallbackName) {
  const res = await api(path, { query, raw: true });
  const text = await (await res.blob()).text();
  const named = (res.headers.get('Content-Disposition') || '').match(/filename="?([^";]+)"?/);
  const name = named ? named[1] : fallbackName;
  const counted = Number(res.headers.get('X-Export-Rows'));
  const rows = Number.isFinite(counted) && res.headers.has('X-Export-Rows')
    ? counted
    : Math.max(0, text.split(/\r?\n/).filter((line) => line.length).length - 1);
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return { name, rows, truncated: res.headers.get('X-Export-Truncated') === 'true' };
}
