// The collection's first request against a server that was not started for
// it (the defaults: captchas on): the run stops there with one message
// saying how to start the server, instead of failing in chains.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../server.mjs';
import { serverCommand } from '../build.mjs';
import { problems, runCollection } from '../run.mjs';

let srv;
after(() => srv?.stop());

test('against a default server the run stops at the first request with one message', async () => {
  srv = await startServer({ quiet: true });
  const summary = await runCollection(srv.baseURL);
  const failed = problems(summary);
  assert.equal(failed.length, 1, failed.join('\n'));
  assert.match(failed[0], /^Server started for this collection: \w*Error: captchas are on/);
  assert.ok(failed[0].includes(`Start the server for this collection with: ${serverCommand}`), failed[0]);
  assert.equal(summary.run.stats.requests.total, 1, 'no request after the first');
});
