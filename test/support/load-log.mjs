// `node --import ./test/support/load-log.mjs ...`: appends the URL of every module the process loads to the file
// named by $NH_LOAD_LOG (test/cli/lazy-start.test.ts reads which packages a CLI start pulls in).
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs';
const log = process.env.NH_LOAD_LOG;
export async function load(url, context, next) {
  if (log) appendFileSync(log, url + '\\n');
  return next(url, context);
}`)}`,
);
