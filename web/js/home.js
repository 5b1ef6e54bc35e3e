// The site root: signs in (and is the Cognito callback page), then links to the pages.
// A learner's visit also sends ends saved on this device and the old page's corrections.
import { $, setStatus } from './dom.js';
import { boot } from './shell.js';
import { learnerVisit } from './visit.js';

boot(async (user) => {
  if (user.isAdmin) return; // admins sign in to their own pool: no learning data of theirs here
  const visit = await learnerVisit();
  setStatus($('#visit-status'), visit.notes.join(' '), 'success');
});
