// The collection against a real server (../../server.mjs): it has a request
// for every route Gin registers (and none for a route that does not exist),
// and its signer agrees with the server's canonicalization (services/signing)
// beyond the vectors: the server accepts what the script signs, and refuses
// the bodies the script refuses with the same words.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import CryptoJS from 'crypto-js';
import { startServer } from '../../server.mjs';
import { BlogapiSign, requests } from './collection.mjs';

const authKey = 'fwCWYMqmRINlRtMp'; // config.yaml's EXAMPLE app
const authSecret = 'G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh';
const md5 = (s) => CryptoJS.MD5(s).toString(CryptoJS.enc.Hex);

let srv;
before(async () => {
  srv = await startServer({ quiet: true });
});
after(() => srv?.stop());

test('a request for every route, and every request on a route', () => {
  // Gin lists each route it registers in debug mode (server.mode, the
  // default of startServer): "[GIN-debug] GET    /healthz  --> handler".
  const routes = new Set();
  for (const m of srv.logs().matchAll(/^\[GIN-debug\] ([A-Z]+)\s+(\/\S*)\s+-->/gm)) routes.add(`${m[1]} ${m[2]}`);
  assert.ok(routes.has('GET /healthz') && routes.has('POST /blogapi/login'), `route listing not found in the log:\n${srv.logs()}`);

  // A path parameter (:id) is matched by a request's {{variable}} segment.
  const pattern = (route) => new RegExp(`^${route.replace(/:[^/]+/g, '\\{\\{[^/]+\\}\\}')}$`);
  const covered = new Set(requests().map((r) => `${r.request.method} /${r.request.url.path.join('/')}`));
  const matches = (route, req) => route === req || pattern(route).test(req);
  assert.deepEqual([...routes].filter((r) => ![...covered].some((c) => matches(r, c))), [], 'routes without a request in the collection');
  assert.deepEqual([...covered].filter((c) => ![...routes].some((r) => matches(r, c))), [], 'requests for routes the server does not have');
});

/** Sends a request signed by the collection's signer; returns the envelope. */
async function send({ method = 'GET', path, rawQuery = '', contentType, body, secret = authSecret }) {
  const signing = [['auth_key', authKey], ['timestamp', String(Date.now())]];
  let query = rawQuery;
  if (contentType === 'application/json') {
    body = BlogapiSign.addJSONMembers(body, [['auth_key', JSON.stringify(authKey)], ['timestamp', signing[1][1]]]);
  } else {
    query += (query ? '&' : '') + signing.map(([k, v]) => `${k}=${v}`).join('&');
  }
  const token = BlogapiSign.token({ query: BlogapiSign.parsePairs(query), contentType, body }, secret, md5);
  query += `&token=${token}`;
  const res = await fetch(`${srv.baseURL}${path}?${query}`, {
    method, body, headers: contentType ? { 'Content-Type': contentType } : {},
  });
  return res.json();
}

const queries = [
  'a=1+2&b=%E5%B0%8F&c&=e&&d=x=y',
  '%F0%9F%98%80=2&%EF%BD%A1=1', // U+1F600 and U+FF61: code-point order is not UTF-16 order
  'constructor=c&__proto__=p&a=%2B%26%3D',
];
for (const rawQuery of queries) {
  test(`the server accepts the signed query ${rawQuery}`, async () => {
    const res = await send({ path: '/blogapi/service/pubkey', rawQuery });
    assert.equal(res.code, 200, res.msg);
    assert.equal((await send({ path: '/blogapi/service/pubkey', rawQuery, secret: 'wrong' })).code, 514);
  });
}

// Members beside refreshToken are ignored by the renewal handler, which
// then refuses the token: 521 means the signature was accepted.
const jsonBodies = [
  '{"refreshToken":"not-a-jwt","n":-1.50e+3,"t":true,"f":false,"z":null,"s":"x"}',
  ' {\n "refreshToken" : "not-a-jwt", "a" : [ 1 , {"b" : "c d", "e": "\\u5c0f \\n"} ] }\n',
  '{"refreshToken":"not-a-jwt","a":"\\ud83d\\ude00","b":"\\ud800x","c":"\\/","\\u0061\\u0062":"1","😀":"2","｡":"3"}',
];
for (const body of jsonBodies) {
  test(`the server accepts the signed JSON body ${JSON.stringify(body)}`, async () => {
    const res = await send({ method: 'POST', path: '/blogapi/service/renewal', contentType: 'application/json', body });
    assert.equal(res.code, 521, res.msg);
    const bad = await send({ method: 'POST', path: '/blogapi/service/renewal', contentType: 'application/json', body, secret: 'wrong' });
    assert.equal(bad.code, 514);
  });
}

test('the server accepts a signed form body', async () => {
  const body = 'refreshToken=not-a-jwt&b=%E5%B0%8F+x&a=1&a=0';
  const res = await send({ method: 'POST', path: '/blogapi/service/renewal', contentType: 'application/x-www-form-urlencoded', body });
  assert.equal(res.code, 521, res.msg);
});

for (const [body, msg] of [
  ['[1]', 'body must be a JSON object'],
  ['{"a":1,"\\u0061":2}', 'duplicate JSON member "a"'],
  ['{"a":1,}', 'malformed JSON body'],
]) {
  test(`the script and the server both refuse ${body}`, async () => {
    assert.throws(() => BlogapiSign.params({ contentType: 'application/json', body }), { message: msg });
    const res = await fetch(`${srv.baseURL}/blogapi/service/renewal?auth_key=${authKey}&timestamp=${Date.now()}&token=${'0'.repeat(32)}`, {
      method: 'POST', body, headers: { 'Content-Type': 'application/json' },
    }).then((r) => r.json());
    assert.equal(res.code, 400);
    assert.equal(res.msg, msg);
  });
}
