// Runs the Postman collection with newman against a real blogapi server:
// built from this checkout and started by ../server.mjs on a fresh temporary
// data directory (debug mode, embedded database), configured by serverEnv.
//
//   node run.mjs        (npm run newman)
//
// Exits 0 when every request ran and every assertion passed, 1 otherwise
// (newman's summary says which); the server is stopped in every case and
// its log is printed when the run failed.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import newman from 'newman';
import { startServer } from '../server.mjs';
import { serverEnv, serverAdmin } from './build.mjs';

const here = dirname(fileURLToPath(import.meta.url));

export { serverEnv };

/**
 * Runs the collection against baseURL.
 * @param {string} baseURL e.g. http://127.0.0.1:41647
 * @returns {Promise<object>} newman's run summary
 */
export function runCollection(baseURL) {
  return promisify(newman.run)({
    collection: join(here, 'blogapi.postman_collection.json'),
    environment: join(here, 'blogapi.postman_environment.json'),
    envVar: [{ key: 'baseURL', value: baseURL }],
    reporters: ['cli'],
    timeoutRequest: 30000, // ms per request
    timeout: 300000, // ms for the whole run
  });
}

/**
 * What went wrong in a run: failed assertions, script errors and request
 * errors, as lines; empty when the run passed.
 * @param {object} summary newman's run summary
 * @returns {string[]}
 */
export function problems(summary) {
  const out = summary.run.failures.map((f) => `${f.source?.name ?? '(collection)'}: ${f.error?.name}: ${f.error?.message}`);
  if (summary.run.error) out.push(`run error: ${summary.run.error.message ?? summary.run.error}`);
  const s = summary.run.stats;
  if (out.length === 0 && (s.requests.failed || s.assertions.failed || s.prerequestScripts.failed || s.testScripts.failed)) {
    out.push(`newman counted failures: ${JSON.stringify(s)}`);
  }
  if (s.assertions.total === 0) out.push('no assertion ran');
  return out;
}

async function main() {
  const srv = await startServer({ quiet: true, env: serverEnv, admin: serverAdmin });
  const stop = () => srv.stop();
  process.once('SIGINT', () => stop().then(() => process.exit(130)));
  process.once('SIGTERM', () => stop().then(() => process.exit(143)));
  let failed;
  try {
    const summary = await runCollection(srv.baseURL);
    failed = problems(summary);
  } catch (err) {
    failed = [`newman could not run: ${err.stack ?? err}`];
  }
  if (failed.length) {
    process.stderr.write(`\nserver log:\n${srv.logs()}\n`);
    process.stderr.write(`\nnewman run FAILED:\n  ${failed.join('\n  ')}\n`);
  }
  await stop();
  process.exitCode = failed.length ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
