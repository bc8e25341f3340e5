// The demo's static server: what the page needs, with the right types, and
// nothing else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startDemoServer } from '../demo/serve.js';

let demo;
before(async () => {
  demo = await startDemoServer();
});
after(() => demo.close());

/** GET with the path sent exactly as written (fetch would normalise it). */
function get(path, method = 'GET') {
  const { hostname, port } = new URL(demo.origin);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves the page, the client and its md5 dependency with their types', async () => {
  for (const [path, type, contains] of [
    ['/demo/', 'text/html; charset=utf-8', '<script type="importmap">'],
    ['/demo/index.html', 'text/html; charset=utf-8', '<title>blogapi demo</title>'],
    ['/demo/demo.js', 'text/javascript; charset=utf-8', "from '@blogapi/client'"],
    ['/src/index.js', 'text/javascript; charset=utf-8', 'createClient'],
    ['/src/sign.js', 'text/javascript; charset=utf-8', '@noble/hashes/legacy.js'],
    ['/node_modules/@noble/hashes/legacy.js', 'text/javascript; charset=utf-8', 'md5'],
  ]) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers['content-type'], type, path);
    assert.equal(res.headers['x-content-type-options'], 'nosniff', path);
    assert.ok(res.body.includes(contains), `${path} has ${contains}`);
  }
  const head = await get('/demo/demo.js', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
});

test('redirects the root to the page', async () => {
  for (const path of ['/', '/demo']) {
    const res = await get(path);
    assert.equal(res.status, 302, path);
    assert.equal(res.headers.location, '/demo/', path);
  }
});

test('nothing outside demo/, src/ and @noble/hashes, however the path is spelled', async () => {
  for (const path of [
    '/package.json',
    '/package-lock.json',
    '/test/client.test.js',
    '/node_modules/mongodb/package.json',
    '/node_modules/.package-lock.json',
    '/demo/../package.json',
    '/demo/%2e%2e/package.json',
    '/demo/..%2fpackage.json',
    '/src/..%5cpackage.json',
    '/node_modules/@noble/hashes/../../mongodb/package.json',
    '/node_modules/@noble/hashes/%2e%2e/%2e%2e/mongodb/package.json',
    '/demo/%2e%2e%2f%2e%2e%2f%2e%2e%2fgo.mod',
    '/demo/index.html%00.js',
    '/demo/%E0%A4%A',
    '/src',
    '//etc/passwd',
    '/demo/../../../../etc/passwd',
  ]) {
    const res = await get(path);
    assert.equal(res.status, 404, `${path} → ${res.status}`);
    assert.equal(res.body, 'not found\n', path);
  }
});

test('only GET and HEAD', async () => {
  const res = await get('/demo/', 'POST');
  assert.equal(res.status, 405);
  assert.equal(res.headers.allow, 'GET, HEAD');
});
