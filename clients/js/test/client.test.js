// The client against a real blogapi server (built from this checkout and
// started by ../../server.mjs on a fresh data directory), with captchas on:
// the answers are read from the embedded database like a person reads the
// picture.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { SignJWT, decodeJwt } from 'jose';
import { startServer } from '../../server.mjs';
import { ApiError, Codes, MemoryStorage, REFRESH_TOKEN_KEY, Reasons, TOKEN_KEY, createClient } from '../src/index.js';

const authKey = 'fwCWYMqmRINlRtMp'; // config.yaml's example app
const authSecret = 'G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh';
// The test's own JWT secret, so that it can mint an expired token the server
// accepts as genuine (the only way to see a real 402 without waiting for
// jwt.access_ttl, at least 1m, to run out).
const jwtSecret = randomBytes(32).toString('hex');
const issuer = 'blogapi';
const checkUsernameLimit = 5;

// Created with `blogapi admin create` before the server starts (docs/admin.md).
const admin = { account: 'js_admin', email: 'js_admin@example.com', password: 'admin-password-js' };

let srv;
let mongo;

before(async () => {
  srv = await startServer({
    env: {
      BLOGAPI_JWT_SECRET: jwtSecret,
      BLOGAPI_JWT_ISSUER: issuer,
      // This file registers more users from one IP than the default 10 an hour.
      BLOGAPI_RATE_LIMIT_REGISTER: '1000-H',
      // Low enough for the last test to reach it.
      BLOGAPI_RATE_LIMIT_CHECK_USERNAME: `${checkUsernameLimit}-H`,
    },
    embeddedListen: true,
    quiet: true,
    admin,
  });
  mongo = await MongoClient.connect(srv.mongoURI);
});

after(async () => {
  await mongo?.close();
  await srv?.stop();
});

/**
 * A fetch that counts and records every request (path and envelope code)
 * and can rewrite the URL before it goes out.
 */
function recordingFetch({ rewrite = (url) => url } = {}) {
  const calls = [];
  const f = async (url, init) => {
    const u = new URL(rewrite(url));
    const res = await fetch(u, init);
    const env = await res.clone().json();
    calls.push({ method: init.method, path: u.pathname, code: env.code, status: res.status });
    return res;
  };
  f.calls = calls;
  f.count = (path) => calls.filter((c) => c.path === path).length;
  return f;
}

function newClient(opts = {}) {
  return createClient({ baseURL: srv.baseURL, authKey, authSecret, ...opts });
}

async function captchaAnswer(id) {
  const doc = await mongo.db('blogapi').collection('captchas').findOne({ _id: id });
  assert.ok(doc, `captcha ${id} is in the database`);
  return doc.answer;
}

let seq = 0;
/** Registers a fresh user through the client with a real captcha. */
async function register(client, extra = {}) {
  seq += 1;
  const account = `js_${process.pid}_${seq}`;
  const password = `pw-${seq}-秘密`;
  const { id, svg } = await client.captcha();
  assert.match(svg, /^<svg/);
  const user = await client.register({
    account,
    password,
    email: `${account}@example.com`,
    captcha: await captchaAnswer(id),
    captchaId: id,
    ...extra,
  });
  return { account, password, user };
}

/** Logs a fresh user in; returns the client, its storage and the user. */
async function loggedIn(opts = {}) {
  const storage = new MemoryStorage();
  const client = newClient({ storage, ...opts });
  const { account, password } = await register(client);
  const res = await client.login({ account, password });
  return { client, storage, account, password, res };
}

/** An access token signed with the server's secret that expired 30 min ago. */
async function expiredToken(realToken, typ = 'access') {
  const claims = decodeJwt(realToken);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: claims.sid, typ })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(issuer)
    .setIssuedAt(now - 3600)
    .setExpirationTime(now - 1800)
    .setJti(randomBytes(16).toString('hex'))
    .sign(new TextEncoder().encode(jwtSecret));
}

async function rejectsWith(promise, code) {
  const err = await promise.then(
    () => assert.fail(`expected ApiError ${code}`),
    (e) => e,
  );
  assert.ok(err instanceof ApiError, `an ApiError, got ${err}`);
  assert.equal(err.code, code, `code ${code}, got ${err.code} ${err.msg}`);
  assert.equal(err.status, code, 'HTTP status mirrors the code (response.http_status: mirror)');
  assert.equal(typeof err.msg, 'string');
  assert.ok(err.msg.length > 0);
  return err;
}

test('health and readiness', async () => {
  const client = newClient();
  assert.deepEqual(await client.health(), { status: 'ok' });
  assert.deepEqual(await client.ready(), { status: 'ready' });
  assert.match(await client.openAPI(), /^openapi: 3\.0\.3$/m);
  assert.match(await client.metrics(), /^blogapi_http_requests_total\{/m);
});

test('the whole account flow: captcha, register, login, centre, profile, password, renewal, logout', async () => {
  const storage = new MemoryStorage();
  const client = newClient({ storage });

  const { id, svg } = await client.captcha({ width: 150, height: 50 });
  assert.match(id, /^\S{16,}$/);
  assert.match(svg, /^<svg[^>]*width="150"/);
  assert.match(svg, /<path/);
  assert.doesNotMatch(svg, /<text/);

  const account = `flow_${process.pid}`;
  assert.deepEqual(await client.checkUsername(account), { account, available: true });
  const user = await client.register({
    account,
    password: 'first secret',
    email: `${account}@example.com`,
    nick: '小灰',
    captcha: await captchaAnswer(id),
    captchaId: id,
  });
  assert.equal(user.account, account);
  assert.equal(user.nick, '小灰');
  assert.equal(user.status, 'pending');
  assert.equal(user.type, 'client');
  assert.equal(storage.getItem(TOKEN_KEY), null, 'registration logs nobody in');
  assert.deepEqual(await client.checkUsername(account.toUpperCase()), { account: account.toUpperCase(), available: false });

  const login = await client.login({ account, password: 'first secret' });
  assert.equal(login.user.account, account);
  assert.equal(login.expiresIn, 7200);
  assert.equal(storage.getItem(TOKEN_KEY), login.token);
  assert.equal(storage.getItem(REFRESH_TOKEN_KEY), login.refreshToken);
  assert.equal(client.accessToken, login.token);

  const centre = await client.userCenter();
  assert.equal(centre.id, user.id);
  assert.equal(centre.email, `${account}@example.com`);
  assert.equal(centre.emailVerified, false);
  assert.ok(centre.lastLoginAt > 0);

  const updated = await client.updateUser({ nick: 'new nick', avatar: 'https://example.com/a.png' });
  assert.equal(updated.nick, 'new nick');
  assert.equal((await client.userCenter()).avatar, 'https://example.com/a.png');

  const changed = await client.changePassword({ oldPassword: 'first secret', password: 'second secret' });
  assert.notEqual(changed.token, login.token);
  assert.equal(storage.getItem(TOKEN_KEY), changed.token, 'the new pair is stored');
  assert.equal(storage.getItem(REFRESH_TOKEN_KEY), changed.refreshToken);
  assert.equal((await client.userCenter()).account, account, 'still logged in with the new pair');
  // Every other session ended: the first login's token no longer works.
  await rejectsWith(newClient({ storage: storageWith(login.token, login.refreshToken) }).userCenter(), Codes.UNAUTHORIZED);
  await rejectsWith(newClient().login({ account, password: 'first secret' }), Codes.UNAUTHORIZED);

  const renewed = await client.renewal();
  assert.notEqual(renewed.refreshToken, changed.refreshToken);
  assert.equal(storage.getItem(TOKEN_KEY), renewed.token);
  assert.equal(storage.getItem(REFRESH_TOKEN_KEY), renewed.refreshToken);
  assert.equal((await client.userCenter()).account, account);

  await client.logout();
  assert.equal(storage.getItem(TOKEN_KEY), null);
  assert.equal(storage.getItem(REFRESH_TOKEN_KEY), null);
  const noToken = await rejectsWith(client.userCenter(), Codes.UNAUTHORIZED);
  assert.match(noToken.msg, /access token is missing/);
  // The session really ended: the token the client forgot is refused too.
  await rejectsWith(newClient({ storage: storageWith(renewed.token, renewed.refreshToken) }).userCenter(), Codes.UNAUTHORIZED);

  // Logging in with the email works with the new password.
  const again = await client.login({ account: `${account}@example.com`, password: 'second secret' });
  assert.equal(again.user.id, user.id);
});

function storageWith(token, refreshToken) {
  const s = new MemoryStorage();
  if (token) s.setItem(TOKEN_KEY, token);
  if (refreshToken) s.setItem(REFRESH_TOKEN_KEY, refreshToken);
  return s;
}

test('the remaining routes: pubkey, resend, forgot, reset check and reset, email verification', async () => {
  const { client, account } = await loggedIn();
  const key = await client.publicKey();
  assert.match(key.publicKey, /^-----BEGIN PUBLIC KEY-----/);
  assert.equal(key.passwordEnc, 'rsa-oaep-sha256');

  assert.deepEqual(await client.resendVerification(), { sent: true });

  const { id } = await client.captcha();
  const forgot = await client.forgotPassword({ account, captcha: await captchaAnswer(id), captchaId: id });
  assert.match(forgot.message, /reset link/);

  // Mail tokens are only in the mail: unknown ones are what a client can test here.
  const bogus = randomBytes(32).toString('hex');
  assert.deepEqual(await client.checkResetToken(bogus), { valid: false, expiresAt: 0 });
  await rejectsWith(client.resetPassword({ token: bogus, password: 'whatever' }), Codes.BAD_REQUEST);
  await rejectsWith(client.verifyEmail(bogus), Codes.BAD_REQUEST);
});

test('the blog: publish, list, read, like, comment, author page', async () => {
  const { client: writer, account } = await loggedIn();
  // Only authors and admins publish: a fresh user is a client until made one.
  const article = { title: 'JS client post', content: '# Hello\n\nfrom **Markdown**', format: 'markdown', type: 'original', category: '默认', tags: ['js'], status: 'online' };
  await rejectsWith(writer.publish(article), Codes.FORBIDDEN);
  await mongo.db('blogapi').collection('users').updateOne({ account }, { $set: { type: 'author' } });
  const published = await writer.publish(article);
  assert.match(published.content, /<h1[^>]*>Hello<\/h1>/);
  const edited = await writer.editArticle(published.id, { ...article, title: 'JS client post, edited', version: published.version });
  assert.equal(edited.version, published.version + 1);
  await rejectsWith(writer.editArticle(published.id, { ...article, version: published.version }), Codes.CONFLICT);

  const { client: reader } = await loggedIn();
  const page = await reader.articles({ tag: 'js' });
  assert.equal(page.items[0]._id, published.id);
  assert.equal((await reader.search({ keyword: 'EDITED' })).total >= 1, true);
  assert.ok((await reader.hot()).items.length >= 1);
  assert.ok((await reader.recommended()).items.length >= 1);
  assert.equal((await reader.article(published.id)).isPraise, false);
  await reader.like(published.id);
  assert.equal((await reader.article(published.id)).isPraise, true);
  assert.deepEqual(await reader.checkLike(published.id), { isPraise: true });
  await rejectsWith(reader.like(published.id), Codes.CONFLICT);
  await reader.unlike(published.id);
  const c = await reader.comment(published.id, { content: 'Nice' });
  assert.equal(c.status, '1');
  const threads = await reader.comments(published.id);
  assert.equal(threads[0].id, c.id); // held for moderation, shown to its author
  assert.equal(threads[0].state, 'held');
  await rejectsWith(reader.moderateComment(published.id, c.id, 'visible'), Codes.FORBIDDEN);
  await writer.moderateComment(published.id, c.id, 'visible');
  assert.equal((await newClient().comments(published.id))[0].state, 'visible');
  assert.ok((await writer.articleTypes()).some((t) => t.identify === 'original'));
  assert.ok((await writer.categories()).some((cat) => cat.name === '默认' && cat.count >= 1));
  assert.ok((await writer.tags()).includes('js'));
  assert.deepEqual(await writer.banners(), []);
  const me = published.userInfo.id;
  assert.ok((await reader.author(me)).articleCount >= 1);
  assert.ok((await reader.authorArticles(me)).total >= 1);
  assert.equal((await reader.authorLikes(me)).total, 0);
  const draft = await writer.publish({ ...article, title: 'JS draft', status: 'draft' });
  assert.equal((await writer.drafts()).items[0]._id, draft.id);
  await rejectsWith(reader.article(draft.id), Codes.NOT_FOUND);
  await writer.deleteArticle(draft.id);
  assert.equal((await writer.drafts()).total, 0);
});

test('a wrong captcha answer is a 400 about the captcha', async () => {
  const client = newClient();
  const { id } = await client.captcha();
  const answer = await captchaAnswer(id);
  const err = await rejectsWith(
    client.register({ account: `bad_${process.pid}`, password: 'x', email: `bad_${process.pid}@example.com`, captcha: `${answer}x`, captchaId: id }),
    Codes.BAD_REQUEST,
  );
  assert.equal(err.errors[0]?.field, 'captcha');
  // Single use: the right answer no longer works either.
  await rejectsWith(
    client.register({ account: `bad_${process.pid}`, password: 'x', email: `bad_${process.pid}@example.com`, captcha: answer, captchaId: id }),
    Codes.BAD_REQUEST,
  );
});

test('a wrong password is a 401 and stores nothing', async () => {
  const storage = new MemoryStorage();
  const client = newClient({ storage });
  const { account } = await register(client);
  const err = await rejectsWith(client.login({ account, password: 'not it' }), Codes.UNAUTHORIZED);
  assert.equal(err.msg, 'account or password is incorrect');
  assert.equal(storage.getItem(TOKEN_KEY), null);
});

test('a taken account is a 409 naming the field', async () => {
  const client = newClient();
  const { account } = await register(client);
  const { id } = await client.captcha();
  const err = await rejectsWith(
    client.register({ account, password: 'x', email: `other_${account}@example.com`, captcha: await captchaAnswer(id), captchaId: id }),
    Codes.CONFLICT,
  );
  assert.deepEqual(err.errors.map((e) => e.field), ['account']);
});

test('signature failures: tampered secret 514, unknown key 512, stale clock 513, missing token 511', async () => {
  await rejectsWith(newClient({ authSecret: `${authSecret.slice(0, -1)}X` }).captcha(), Codes.SIGN_INVALID);
  await rejectsWith(newClient({ authKey: 'no-such-app-key' }).captcha(), Codes.AUTH_KEY);
  await rejectsWith(newClient({ now: () => Date.now() - 10 * 60 * 1000 }).captcha(), Codes.SIGN_EXPIRED);
  const strip = recordingFetch({
    rewrite: (url) => {
      const u = new URL(url);
      u.searchParams.delete('token');
      return u.toString();
    },
  });
  await rejectsWith(newClient({ fetch: strip }).captcha(), Codes.SIGN_MISSING);
  // A JSON body is signed too: the same tampered secret fails a POST.
  await rejectsWith(newClient({ authSecret: 'tampered-secret-0000' }).login({ account: 'x', password: 'y' }), Codes.SIGN_INVALID);
});

test('an expired access token: the server says 402, the client renews once and retries', async () => {
  const { storage, res } = await loggedIn();
  storage.setItem(TOKEN_KEY, await expiredToken(res.token));
  const f = recordingFetch();
  const client = newClient({ storage, fetch: f });

  const centre = await client.userCenter();
  assert.equal(centre.id, res.user.id);
  assert.deepEqual(
    f.calls.map((c) => `${c.method} ${c.path} ${c.code}`),
    ['GET /blogapi/user/center 402', 'POST /blogapi/service/renewal 200', 'GET /blogapi/user/center 200'],
  );
  assert.notEqual(storage.getItem(REFRESH_TOKEN_KEY), res.refreshToken, 'the rotated pair is stored');

  // A PUT retried after renewal is signed afresh, not refused as a replay.
  storage.setItem(TOKEN_KEY, await expiredToken(res.token));
  const updated = await client.updateUser({ nick: 'after renewal' });
  assert.equal(updated.nick, 'after renewal');
  assert.equal(f.count('/blogapi/service/renewal'), 2);
});

test('an invalid access token is a 521 and no renewal is tried', async () => {
  const { storage, res } = await loggedIn();
  storage.setItem(TOKEN_KEY, `${res.token.slice(0, -4)}AAAA`);
  const f = recordingFetch();
  await rejectsWith(newClient({ storage, fetch: f }).userCenter(), Codes.JWT_INVALID);
  assert.equal(f.count('/blogapi/service/renewal'), 0);
  assert.equal(storage.getItem(REFRESH_TOKEN_KEY), res.refreshToken, 'tokens are kept: only a failed renewal clears them');
});

test('concurrent calls with an expired token share one renewal', async () => {
  const { storage, res, account } = await loggedIn();
  storage.setItem(TOKEN_KEY, await expiredToken(res.token));
  const f = recordingFetch();
  const client = newClient({ storage, fetch: f });

  const answers = await Promise.all([client.userCenter(), client.userCenter(), client.updateUser({ nick: 'together' }), client.userCenter()]);
  assert.deepEqual(answers.map((u) => u.account), [account, account, account, account]);
  assert.equal(answers[2].nick, 'together');
  assert.equal(f.count('/blogapi/service/renewal'), 1, 'one renewal request');
  assert.equal(f.calls.filter((c) => c.code === 402).length, 4, 'all four saw the 402');
  assert.equal(f.calls.filter((c) => c.path !== '/blogapi/service/renewal' && c.code === 200).length, 4, 'each retried once');
  // The refresh token was rotated once: the stored one still renews.
  assert.ok((await client.renewal()).token);
});

/**
 * A lock manager with the Web Locks request(name, callback) contract
 * (exclusive, first come first served), for node, which has no
 * navigator.locks: what two browser tabs share.
 */
function sharedLocks() {
  const tails = new Map();
  return {
    request(name, callback) {
      const prev = tails.get(name) ?? Promise.resolve();
      const run = prev.then(() => callback());
      tails.set(name, run.catch(() => {}));
      return run;
    },
  };
}

test('two tabs on one storage renew once with a shared lock; without it the second renewal is reuse and ends the session', async () => {
  // With the lock: both "tabs" see the 402, one renews, the other finds the
  // pair replaced and retries.
  {
    const { storage, res, account } = await loggedIn();
    storage.setItem(TOKEN_KEY, await expiredToken(res.token));
    const f = recordingFetch();
    const locks = sharedLocks();
    const tabA = newClient({ storage, fetch: f, locks });
    const tabB = newClient({ storage, fetch: f, locks });
    const [a, b] = await Promise.all([tabA.userCenter(), tabB.userCenter()]);
    assert.equal(a.account, account);
    assert.equal(b.account, account);
    assert.equal(f.count('/blogapi/service/renewal'), 1, 'one renewal between the two tabs');
    assert.ok((await tabB.renewal()).token, 'the stored refresh token is still good');
  }
  // Without it (locks: null): each tab renews with the same refresh token;
  // the server treats the second as reuse (SPEC §4) and ends the session.
  {
    const { storage, res } = await loggedIn();
    storage.setItem(TOKEN_KEY, await expiredToken(res.token));
    const f = recordingFetch();
    // Both 402s are handed over together, so neither tab can see the
    // other's new pair before it decides to renew.
    let arrived = 0;
    let bothIn;
    const both = new Promise((resolve) => { bothIn = resolve; });
    const together = async (url, init) => {
      const r = await f(url, init);
      if (r.status === 402 && arrived < 2) {
        arrived += 1;
        if (arrived === 2) bothIn();
        await both;
      }
      return r;
    };
    const tabA = newClient({ storage, fetch: together, locks: null });
    const tabB = newClient({ storage, fetch: together, locks: null });
    const results = await Promise.allSettled([tabA.userCenter(), tabB.userCenter()]);
    assert.equal(f.count('/blogapi/service/renewal'), 2, 'each tab renewed');
    assert.ok(results.some((r) => r.status === 'rejected'), 'reuse of the refresh token cost a tab its session');
  }
});

test('a 402 that arrives after another call renewed is retried without a second renewal', async () => {
  const { storage: plain, res, account } = await loggedIn();
  plain.setItem(TOKEN_KEY, await expiredToken(res.token));
  // Storage that tells when the renewed access token has been stored.
  let stored;
  const renewedStored = new Promise((resolve) => { stored = resolve; });
  const storage = {
    getItem: (k) => plain.getItem(k),
    removeItem: (k) => plain.removeItem(k),
    setItem(k, v) {
      plain.setItem(k, v);
      if (k === TOKEN_KEY) stored();
    },
  };
  // The first request's answer (a 402) is held back until the other call's
  // renewal has stored the new pair.
  const f = recordingFetch();
  let first = true;
  const slowFirst = async (url, init) => {
    const hold = first;
    first = false;
    const r = await f(url, init);
    if (hold) await renewedStored;
    return r;
  };
  const client = newClient({ storage, fetch: slowFirst });
  const [a, b] = await Promise.all([client.userCenter(), client.userCenter()]);
  assert.equal(a.account, account);
  assert.equal(b.account, account);
  assert.equal(f.count('/blogapi/service/renewal'), 1);
  assert.equal(f.calls.filter((c) => c.code === 402).length, 2);
});

test('a failing renewal clears the tokens and throws its error, once for every waiter', async () => {
  const cases = [
    { name: 'refresh token invalid', refresh: () => 'not-a-jwt', code: Codes.JWT_INVALID },
    { name: 'refresh token expired', refresh: (res) => expiredToken(res.refreshToken, 'refresh'), code: Codes.TOKEN_EXPIRED },
  ];
  for (const c of cases) {
    const { storage, res } = await loggedIn();
    storage.setItem(TOKEN_KEY, await expiredToken(res.token));
    storage.setItem(REFRESH_TOKEN_KEY, await c.refresh(res));
    const f = recordingFetch();
    const client = newClient({ storage, fetch: f });
    const results = await Promise.allSettled([client.userCenter(), client.userCenter()]);
    for (const r of results) {
      assert.equal(r.status, 'rejected', c.name);
      assert.ok(r.reason instanceof ApiError, c.name);
      assert.equal(r.reason.code, c.code, c.name);
    }
    assert.equal(f.count('/blogapi/service/renewal'), 1, `${c.name}: one renewal, no loop`);
    assert.equal(f.count('/blogapi/user/center'), 2, `${c.name}: no retry after a failed renewal`);
    assert.equal(storage.getItem(TOKEN_KEY), null, c.name);
    assert.equal(storage.getItem(REFRESH_TOKEN_KEY), null, c.name);
  }
});

test('an expired access token without a refresh token: the 402 is thrown and nothing is renewed', async () => {
  const { storage, res } = await loggedIn();
  storage.setItem(TOKEN_KEY, await expiredToken(res.token));
  storage.removeItem(REFRESH_TOKEN_KEY);
  const f = recordingFetch();
  const err = await rejectsWith(newClient({ storage, fetch: f }).userCenter(), Codes.TOKEN_EXPIRED);
  assert.match(err.msg, /expired/);
  assert.equal(f.count('/blogapi/service/renewal'), 0);
  assert.equal(storage.getItem(TOKEN_KEY), null);
});

test('network errors propagate as they are', async () => {
  const client = createClient({ baseURL: 'http://127.0.0.1:1', authKey, authSecret });
  await assert.rejects(client.captcha(), (e) => !(e instanceof ApiError) && e instanceof TypeError);
});

test('an answer that is no envelope is an ApiError with the HTTP status', async () => {
  const f = async () => new Response('<html>bad gateway</html>', { status: 502, headers: { 'Content-Type': 'text/html' } });
  const err = await createClient({ baseURL: srv.baseURL, authKey, authSecret, fetch: f }).captcha().catch((e) => e);
  assert.ok(err instanceof ApiError);
  assert.equal(err.code, 502);
  assert.equal(err.status, 502);
  assert.match(err.msg, /without an envelope/);
});

test('rate limited: 429 with Retry-After in seconds', async () => {
  const client = newClient();
  let err;
  for (let i = 0; i <= checkUsernameLimit && !err; i++) {
    err = await client.checkUsername('someone').then(() => undefined, (e) => e);
  }
  assert.ok(err instanceof ApiError, 'the limit was reached');
  assert.equal(err.code, Codes.TOO_MANY_REQUESTS);
  assert.ok(Number.isInteger(err.retryAfter) && err.retryAfter > 0 && err.retryAfter <= 3600, `retryAfter ${err.retryAfter}`);
});

test('client.admin: an admin manages a user; others are refused', async () => {
  const boss = newClient();
  await boss.login({ account: admin.account, password: admin.password });
  const { client: userClient, account, password } = await loggedIn();
  await rejectsWith(userClient.admin.users(), Codes.FORBIDDEN);

  const page = await boss.admin.users({ q: account, sort: 'lastLogin', order: 'asc', pageSize: 5 });
  assert.equal(page.total, 1);
  assert.equal(page.currentPage, 1);
  const id = page.items[0].id;
  const detail = await boss.admin.user(id);
  assert.equal(detail.user.account, account);
  assert.ok(detail.sessions.some((s) => s.alive));
  assert.equal((await boss.admin.setLevel(id, 4)).level, 4);

  const frozen = await boss.admin.setStatus(id, { status: 'freeze', reason: 'spam links' });
  assert.equal(frozen.statusReason, 'spam links');
  await rejectsWith(userClient.userCenter(), Codes.UNAUTHORIZED); // its sessions ended
  const refused = await rejectsWith(newClient().login({ account, password }), Codes.FORBIDDEN);
  assert.equal(refused.msg, 'account is frozen: spam links');
  await boss.admin.setStatus(id, { status: 'normal' });

  const wrong = await rejectsWith(boss.admin.setType(id, { type: 'author', password: 'not it' }), Codes.UNAUTHORIZED);
  assert.deepEqual(wrong.errors.map((e) => e.field), ['password']);
  assert.equal((await boss.admin.setType(id, { type: 'author', password: admin.password })).type, 'author');
  assert.equal(typeof (await boss.admin.endSessions(id)).ended, 'number');
  const me = (await boss.admin.users({ type: 'admin' })).items.find((u) => u.account === admin.account);
  await rejectsWith(boss.admin.setType(me.id, { type: 'client', password: admin.password }), Codes.CONFLICT);

  const log = await boss.admin.audit({ target: id });
  assert.deepEqual(log.items.map((e) => e.action), ['user.sessions.end', 'user.type', 'user.status', 'user.status', 'user.level']);
  const dash = await boss.admin.dashboard();
  assert.equal(dash.days.length, 30);
  assert.ok(dash.users.byType.admin >= 1);
  assert.ok(dash.days[29].logins >= 2);
  assert.ok((await boss.admin.deleteUser(id, { password: admin.password })).deletedAt > 0);
  await rejectsWith(boss.admin.moderateComment('0123456789abcdef01234567', '0123456789abcdef01234567', 'visible'), Codes.NOT_FOUND);
});

test('client.admin: taxonomy: create, rename, reorder and delete types, categories and tags', async () => {
  const boss = newClient();
  await boss.login({ account: admin.account, password: admin.password });
  const { client: writer, account } = await loggedIn();
  await mongo.db('blogapi').collection('users').updateOne({ account }, { $set: { type: 'author' } });
  await rejectsWith(writer.admin.categories(), Codes.FORBIDDEN);

  const name = `js-${Date.now()}`;
  const cat = await boss.admin.createCategory({ name, index: 0 });
  assert.equal(cat.name, name);
  await rejectsWith(boss.admin.createCategory({ name }), Codes.CONFLICT);
  const bad = await rejectsWith(boss.admin.createCategory({ name: 'a/b' }), Codes.BAD_REQUEST);
  assert.deepEqual(bad.errors.map((e) => e.field), ['name']);
  const post = await writer.publish({ title: 'Taxonomy', content: 'text', type: 'original', category: name, tags: [`${name}-t`], status: 'online' });

  const renamed = await boss.admin.editCategory(name, { name: `${name}-b`, index: 0 });
  assert.equal(renamed.moved, 1);
  assert.equal((await writer.article(post.id)).category, `${name}-b`);
  assert.ok((await writer.categories()).some((c) => c.name === `${name}-b` && c.count === 1));
  const inUse = await rejectsWith(boss.admin.deleteCategory(`${name}-b`), Codes.CONFLICT);
  assert.deepEqual(inUse.errors.map((e) => e.field), ['replacement']);
  assert.equal((await boss.admin.deleteCategory(`${name}-b`, { replacement: '默认' })).moved, 1);
  assert.equal((await writer.article(post.id)).category, '默认');

  const tag = await boss.admin.renameTag(`${name}-t`, `${name}-u`);
  assert.equal(tag.moved, 1);
  assert.ok((await boss.admin.tags()).some((t) => t.name === `${name}-u` && t.articles === 1));
  assert.equal((await boss.admin.deleteTag(`${name}-u`)).moved, 1);
  assert.deepEqual((await writer.article(post.id)).tags, []);
  assert.equal((await boss.admin.createTag(`${name}-v`)).name, `${name}-v`);

  const identify = `js${Date.now()}`;
  assert.equal((await boss.admin.createType({ identify, name: identify.slice(-12) })).identify, identify);
  assert.equal((await boss.admin.editType(identify, { index: 0 })).index, 0);
  assert.ok((await writer.articleTypes()).some((t) => t.identify === identify));
  assert.ok((await boss.admin.types()).some((t) => t.identify === identify));
  assert.deepEqual(await boss.admin.deleteType(identify), { key: identify, replacement: '', moved: 0 });
  await rejectsWith(boss.admin.deleteType(identify), Codes.NOT_FOUND);
  const log = await boss.admin.audit({ action: 'category.rename' });
  assert.equal(log.items[0].target, name);
});

test('client.admin: comment moderation across articles, bulk actions and a comment ban', async () => {
  const boss = newClient();
  await boss.login({ account: admin.account, password: admin.password });
  const post = await boss.publish({ title: 'JS moderation', content: '<p>x</p>', type: 'original', category: '默认', tags: ['mod'], status: 'online' });
  const { client: reader } = await loggedIn();
  await rejectsWith(reader.admin.comments(), Codes.FORBIDDEN);
  const c1 = await reader.comment(post.id, { content: 'first from js' });
  const c2 = await reader.comment(post.id, { content: 'second from js' });
  assert.equal(c1.state, 'held');

  const pending = await boss.admin.comments({ state: 'pending', article: post.id });
  assert.deepEqual(pending.items.map((c) => c.id), [c2.id, c1.id]); // newest first
  assert.equal(pending.items[0].article.title, 'JS moderation');
  assert.equal(pending.items[0].ref, `${post.id}/${c2.id}`);
  const bad = await rejectsWith(boss.admin.comments({ state: 'approve' }), Codes.BAD_REQUEST);
  assert.deepEqual(bad.errors.map((e) => e.field), ['state']);

  assert.equal((await boss.admin.approveComment(post.id, c1.id)).state, 'visible');
  assert.deepEqual((await newClient().comments(post.id)).map((c) => c.id), [c1.id]);
  assert.equal((await newClient().article(post.id)).review, 1);

  const wrong = await rejectsWith(boss.admin.bulkComments({ action: 'spam', ids: [pending.items[0].ref], password: 'not it' }), Codes.UNAUTHORIZED);
  assert.deepEqual(wrong.errors.map((e) => e.field), ['password']);
  const bulk = await boss.admin.bulkComments({ action: 'spam', ids: [pending.items[0].ref, 'nope', pending.items[1].ref], password: admin.password });
  assert.deepEqual(bulk.results.map((r) => [r.ok, r.code]), [[true, 200], [false, 400], [true, 200]]);
  assert.equal(bulk.changed, 2);
  assert.equal((await newClient().article(post.id)).review, 0);

  const userId = c1.userId;
  const banned = await boss.admin.banCommenter(userId, { banned: true, hideExisting: true, reason: 'js test' });
  assert.equal(banned.user.commentBanned, true);
  assert.equal(banned.hidden, 0); // both were spam already
  const refused = await rejectsWith(reader.comment(post.id, { content: 'again' }), Codes.FORBIDDEN);
  assert.equal(refused.msg, 'you are banned from commenting');
  assert.equal((await boss.admin.banCommenter(userId, { banned: false })).user.commentBanned, false);
  assert.equal((await reader.comment(post.id, { content: 'back' })).state, 'visible'); // approved once
  assert.equal((await boss.admin.deleteComment(post.id, c1.id)).state, 'deleted');
  const log = await boss.admin.audit({ action: 'comment.state' });
  assert.ok(log.items.filter((e) => e.target.startsWith(post.id)).length === 4);
});

// Last: the failures it makes also count against this client IP, after
// which every login from it needs a captcha for security.login_window.
test('after failed logins a login needs a captcha: captchaRequired, then login with one', async () => {
  const storage = new MemoryStorage();
  const client = newClient({ storage });
  const { account, password } = await register(client);
  let err;
  for (let i = 0; i < 5 && !err?.captchaRequired; i++) {
    err = await client.login({ account, password: 'not it' }).then(() => assert.fail('a wrong password logged in'), (e) => e);
    assert.ok(err instanceof ApiError);
  }
  assert.equal(err.captchaRequired, true, `captchaRequired after failures: ${err.code} ${err.msg}`);
  assert.equal(err.code, Codes.BAD_REQUEST);
  assert.deepEqual(err.errors, [{ field: 'captcha', msg: 'captcha required', reason: Reasons.CAPTCHA_REQUIRED }]);

  // Even the right password needs the captcha now; a wrong answer is not
  // "captcha required" (the client would loop on it).
  assert.equal((await rejectsWith(client.login({ account, password }), Codes.BAD_REQUEST)).captchaRequired, true);
  const wrong = await client.captcha();
  const bad = await rejectsWith(client.login({ account, password, captcha: `${await captchaAnswer(wrong.id)}x`, captchaId: wrong.id }), Codes.BAD_REQUEST);
  assert.equal(bad.captchaRequired, false);
  assert.deepEqual(bad.errors.map((e) => e.field), ['captcha']);

  const { id } = await client.captcha();
  const res = await client.login({ account, password, captcha: await captchaAnswer(id), captchaId: id });
  assert.equal(res.user.account, account);
  assert.ok(storage.getItem(TOKEN_KEY));
});
