// The site root: signs in (and is the Cognito callback page), then links to the pages.
import { boot } from './shell.js';

boot(async () => {});
