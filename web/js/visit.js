// What every learner page does once signed in, before its own work: send the session ends
// an earlier visit could not deliver (session-client.js flushPendingEnds) and move the old
// practice page's localStorage corrections to the account (legacy-corrections.js).

import { api, getToken, loadConfig } from './api.js';
import { plural } from './format.js';
import { migrateLegacyCorrections } from './legacy-corrections.js';
import { droppedNote } from './end-queue.js';
import { flushPendingEnds } from './session-client.js';

/**
 * @returns {Promise<{notes: string[], delivered: string[], imported: number}>} notes: sentences for a status line
 */
export async function learnerVisit() {
  const notes = [];
  const { apiBase } = await loadConfig();
  const [ends, migration] = await Promise.allSettled([
    flushPendingEnds({ apiBase, getToken }),
    migrateLegacyCorrections(api),
  ]);
  const delivered = ends.status === 'fulfilled' ? ends.value.delivered : [];
  if (delivered.length) {
    notes.push(`${plural(delivered.length, 'conversation')} saved on this device ${delivered.length === 1 ? 'was' : 'were'} sent to your history.`);
  }
  if (ends.status === 'fulfilled' && ends.value.expired.length) notes.push(droppedNote(ends.value.expired, 'expired'));
  if (ends.status === 'fulfilled' && ends.value.kept.length) {
    notes.push(`${plural(ends.value.kept.length, 'conversation')} saved on this device could not be sent yet: kept on this device, it is tried again on your next visit.`);
  }
  let imported = 0;
  if (migration.status === 'fulfilled' && migration.value) {
    imported = migration.value.imported;
    if (imported) notes.push(`${plural(imported, 'correction')} from the old practice page ${imported === 1 ? 'was' : 'were'} added to your account.`);
  } else if (migration.status === 'rejected') {
    notes.push('Corrections saved by the old practice page could not be moved to your account yet; they stay on this device and will be tried again.');
  }
  return { notes, delivered, imported };
}
