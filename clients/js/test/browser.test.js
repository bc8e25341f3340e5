// End to end in a real browser: Debian's Chromium, driven by playwright-core,
// loads the demo page from its own origin and goes through the whole flow
// against a real API server (captcha on, CORS allowing the page's origin).
// The captcha answers are read from the embedded database, as a person
// would read the picture.
//
//   npm run test:browser          (needs /usr/bin/chromium: apt-get install chromium)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { chromium } from 'playwright-core';
import { freePort, startServer } from '../../server.mjs';
import { startDemoServer } from '../demo/serve.js';
import { ApiError, Codes, MemoryStorage, REFRESH_TOKEN_KEY, TOKEN_KEY, createClient } from '../src/index.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Without these, Chromium reaches for the network (updates, sync, QUIC
// probes), which this kind of machine refuses.
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const resultsDir = fileURLToPath(new URL('../test-results/', import.meta.url));
const authKey = 'fwCWYMqmRINlRtMp';
const authSecret = 'G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh';
// Created with `blogapi admin create` before the server starts (docs/admin.md).
const admin = { account: 'browser_admin', email: 'browser_admin@example.com', password: 'admin-password-browser' };

let demo;
let srv;
let mongo;
let profileDir;
let context;
let page;
const pageErrors = [];

before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  demo = await startDemoServer();
  srv = await startServer({
    env: {
      BLOGAPI_SERVER_CORS_ALLOWED_ORIGINS: demo.origin,
      BLOGAPI_CAPTCHA_ENABLED: 'true',
      // The mail links open the demo page, as with `npm run demo`.
      BLOGAPI_SERVER_FRONTEND_URL: `${demo.origin}/demo`,
    },
    embeddedListen: true,
    quiet: true,
    admin,
  });
  mongo = await MongoClient.connect(srv.mongoURI);
  profileDir = mkdtempSync(join(tmpdir(), 'blogapi-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 900, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => pageErrors.push(err));
});

after(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await mongo?.close();
  await srv?.stop();
  await demo?.close();
});

async function captchaAnswer(id) {
  const doc = await mongo.db('blogapi').collection('captchas').findOne({ _id: id });
  assert.ok(doc, `captcha ${id} is in the database`);
  return doc.answer;
}

/** Waits for the page's next captcha answer; returns its id from X-Captcha-Id. */
function nextCaptcha() {
  return page
    .waitForResponse((r) => new URL(r.url()).pathname === '/blogapi/service/captcha' && r.request().method() === 'GET')
    .then(async (r) => {
      assert.equal(r.status(), 200);
      const id = (await r.allHeaders())['x-captcha-id'];
      assert.ok(id, 'X-Captcha-Id is sent');
      return id;
    });
}

/** The captcha <img> has loaded a picture of the requested size. */
async function assertCaptchaShown() {
  const img = page.locator('#captcha-image');
  await img.waitFor({ state: 'visible' });
  await page.waitForFunction(() => {
    const el = document.getElementById('captcha-image');
    return el.src.startsWith('blob:') && el.complete && el.naturalWidth > 0;
  });
  const size = await img.evaluate((el) => ({ w: el.naturalWidth, h: el.naturalHeight }));
  assert.deepEqual(size, { w: 150, h: 50 });
}

test('the demo page registers, logs in, shows the user centre and logs out, in Chromium', async () => {
  const account = `browser_${process.pid}`;
  const password = 'correct horse';

  let captchaId = nextCaptcha();
  await page.goto(`${demo.url}?api=${encodeURIComponent(srv.baseURL)}`);
  await page.waitForSelector('body[data-ready="true"]');
  await assertCaptchaShown();
  assert.equal(await page.locator('#logged-out').isVisible(), true);
  assert.equal(await page.locator('#user-center').isVisible(), false);
  assert.equal(await page.locator('#api-url').textContent(), srv.baseURL);

  // Every input has a label.
  for (const id of ['reg-account', 'reg-password', 'reg-email', 'reg-nick', 'reg-captcha', 'login-account', 'login-password']) {
    assert.ok(await page.locator(`label[for="${id}"]`).count(), `#${id} is labelled`);
  }

  // Unhappy path: a wrong answer shows the server's error, and a new captcha.
  let answer = await captchaAnswer(await captchaId);
  captchaId = nextCaptcha();
  const reg = page.getByRole('region', { name: 'Register' });
  await reg.getByLabel('Account').fill(account);
  await reg.getByLabel('Password').fill(password);
  await reg.getByLabel('Email').fill(`${account}@example.com`);
  await reg.getByLabel('Nickname').fill('Browser user');
  await reg.getByLabel('Captcha answer').fill(`${answer}zz`);
  await reg.getByRole('button', { name: 'Register' }).click();
  const alert = page.getByRole('alert');
  await alert.filter({ hasText: '(code 400)' }).waitFor();
  assert.match(await alert.textContent(), /captcha/i);
  await page.screenshot({ path: join(resultsDir, 'register-error.png') });
  answer = await captchaAnswer(await captchaId);
  await assertCaptchaShown();

  // Register with the new captcha's answer.
  await reg.getByLabel('Captcha answer').fill(answer);
  await reg.getByRole('button', { name: 'Register' }).click();
  await page.getByRole('status').filter({ hasText: `Registered ${account}` }).waitFor();
  assert.equal(await alert.textContent(), '', 'the error is gone');

  // Log in: the account is filled in already.
  const login = page.getByRole('region', { name: 'Log in' });
  assert.equal(await login.getByLabel('Account or email').inputValue(), account);
  await login.getByLabel('Password').fill(password);
  await login.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#user-center').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#uc-account').textContent(), account);
  assert.equal(await page.locator('#uc-nick').textContent(), 'Browser user');
  assert.equal(await page.locator('#uc-email').textContent(), `${account}@example.com`);
  assert.equal(await page.locator('#uc-status').textContent(), 'pending');
  assert.equal(await page.locator('#uc-verified').textContent(), 'no');
  assert.equal(await page.locator('#logged-out').isVisible(), false);
  assert.match(await page.getByRole('status').textContent(), new RegExp(`Logged in as ${account}`));

  const shot = join(resultsDir, 'user-center.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 5000, 'the screenshot has content');
  console.log(`screenshot: ${shot}`);

  const stored = await page.evaluate(([t, r]) => [sessionStorage.getItem(t), sessionStorage.getItem(r)], [TOKEN_KEY, REFRESH_TOKEN_KEY]);
  assert.ok(stored[0] && stored[1], 'the page keeps its tokens in sessionStorage');

  // Log out: the page shows the logged-out state and forgot the tokens.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForSelector('body[data-state="logged-out"]');
  assert.equal(await page.locator('#user-center').isVisible(), false);
  assert.equal(await page.locator('#logged-out').isVisible(), true);
  assert.match(await page.getByRole('status').textContent(), /Logged out/);
  assert.deepEqual(
    await page.evaluate(([t, r]) => [sessionStorage.getItem(t), sessionStorage.getItem(r)], [TOKEN_KEY, REFRESH_TOKEN_KEY]),
    [null, null],
  );

  // A call that needs the token now fails, in the page...
  const inPage = await page.evaluate(async ([baseURL, key, secret]) => {
    const { createClient } = await import('@blogapi/client');
    const c = createClient({ baseURL, authKey: key, authSecret: secret, storage: sessionStorage });
    try {
      await c.userCenter();
      return 'answered';
    } catch (e) {
      return { name: e.name, code: e.code };
    }
  }, [srv.baseURL, authKey, authSecret]);
  assert.deepEqual(inPage, { name: 'ApiError', code: Codes.UNAUTHORIZED });
  // ...and the session really ended: the tokens the page had are refused too.
  const old = new MemoryStorage();
  old.setItem(TOKEN_KEY, stored[0]);
  old.setItem(REFRESH_TOKEN_KEY, stored[1]);
  const err = await createClient({ baseURL: srv.baseURL, authKey, authSecret, storage: old }).userCenter().catch((e) => e);
  assert.ok(err instanceof ApiError);
  assert.equal(err.code, Codes.UNAUTHORIZED);

  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
});

test('the admin view lists users and freezes one, in Chromium', async () => {
  // A user to freeze, registered by a client of its own.
  const api = createClient({ baseURL: srv.baseURL, authKey, authSecret });
  const account = `frozen_${process.pid}`;
  const { id } = await api.captcha();
  await api.register({ account, password: 'pw-frozen', email: `${account}@example.com`, captcha: await captchaAnswer(id), captchaId: id });
  await api.login({ account, password: 'pw-frozen' });

  await page.goto(`${demo.url}?api=${encodeURIComponent(srv.baseURL)}`);
  await page.waitForSelector('body[data-ready="true"]');
  const login = page.getByRole('region', { name: 'Log in' });
  await login.getByLabel('Account or email').fill(admin.account);
  await login.getByLabel('Password').fill(admin.password);
  await login.getByRole('button', { name: 'Log in' }).click();
  const view = page.getByRole('region', { name: 'Admin: users' });
  await view.waitFor({ state: 'visible' });
  const row = view.locator(`tr[data-account="${account}"]`);
  await row.waitFor();
  assert.equal(await row.locator('td').nth(3).textContent(), 'pending');
  assert.equal(await view.locator(`tr[data-account="${admin.account}"] button`).isDisabled(), true, 'an admin cannot freeze themselves here');

  await view.getByLabel('Reason to freeze').fill('spam from the browser');
  await row.getByRole('button', { name: `Freeze ${account}` }).click();
  await page.getByRole('status').filter({ hasText: `Froze ${account}` }).waitFor();
  assert.equal(await view.locator(`tr[data-account="${account}"] td`).nth(3).textContent(), 'freeze');
  const shot = join(resultsDir, 'admin-users.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 5000, 'the screenshot has content');
  console.log(`screenshot: ${shot}`);

  // The user's session ended at once, and their login shows the reason.
  const ended = await api.userCenter().catch((e) => e);
  assert.ok(ended instanceof ApiError && ended.code === Codes.UNAUTHORIZED, `session ended: ${ended}`);
  const refused = await api.login({ account, password: 'pw-frozen' }).catch((e) => e);
  assert.equal(refused.msg, 'account is frozen: spam from the browser');

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForSelector('body[data-state="logged-out"]');
  assert.equal(await view.isVisible(), false);
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
});

test('the admin view approves a pending comment, in Chromium', async () => {
  // An article of the admin's, and a new user's first comment on it: held
  // (moderation first), so not public.
  const boss = createClient({ baseURL: srv.baseURL, authKey, authSecret });
  await boss.login({ account: admin.account, password: admin.password });
  const post = await boss.publish({ title: 'Browser moderation', content: '<p>Comment here</p>', type: 'original', category: '默认', tags: ['browser'], status: 'online' });
  const api = createClient({ baseURL: srv.baseURL, authKey, authSecret });
  const account = `commenter_${process.pid}`;
  const { id } = await api.captcha();
  await api.register({ account, password: 'pw-commenter', email: `${account}@example.com`, nick: 'Commenter', captcha: await captchaAnswer(id), captchaId: id });
  await api.login({ account, password: 'pw-commenter' });
  const held = await api.comment(post.id, { content: 'Waiting for a moderator' });
  assert.equal(held.state, 'held');
  const anonymous = createClient({ baseURL: srv.baseURL, authKey, authSecret });
  assert.deepEqual(await anonymous.comments(post.id), [], 'a held comment is not public');

  await page.goto(`${demo.url}?api=${encodeURIComponent(srv.baseURL)}`);
  await page.waitForSelector('body[data-ready="true"]');
  const login = page.getByRole('region', { name: 'Log in' });
  await login.getByLabel('Account or email').fill(admin.account);
  await login.getByLabel('Password').fill(admin.password);
  await login.getByRole('button', { name: 'Log in' }).click();
  const view = page.getByRole('region', { name: 'Admin: pending comments' });
  await view.waitFor({ state: 'visible' });
  const row = view.locator(`tr[data-comment="${post.id}/${held.id}"]`);
  await row.waitFor();
  assert.equal(await row.locator('td').nth(0).textContent(), 'Browser moderation');
  assert.equal(await row.locator('td').nth(1).textContent(), 'Commenter');
  assert.equal(await row.locator('td').nth(2).textContent(), 'Waiting for a moderator');
  const before = Number(await page.evaluate(() => document.body.dataset.pendingComments));
  assert.ok(before >= 1);
  const pendingShot = join(resultsDir, 'admin-comments-pending.png');
  await page.screenshot({ path: pendingShot, fullPage: true });

  await row.getByRole('button', { name: 'Approve the comment of Commenter on Browser moderation' }).click();
  await page.getByRole('status').filter({ hasText: 'Approved the comment of Commenter' }).waitFor();
  await row.waitFor({ state: 'detached' });
  assert.equal(Number(await page.evaluate(() => document.body.dataset.pendingComments)), before - 1);
  const shot = join(resultsDir, 'admin-comments.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 5000, 'the screenshot has content');
  console.log(`screenshots: ${pendingShot}, ${shot}`);

  // Public now, for anyone, and counted in the article's review.
  const thread = await anonymous.comments(post.id);
  assert.deepEqual(thread.map((c) => [c.id, c.state]), [[held.id, 'visible']]);
  assert.equal((await anonymous.article(post.id)).review, 1);
  const log = await boss.admin.audit({ action: 'comment.state', target: `${post.id}/${held.id}` });
  assert.equal(log.total, 1, 'one audit entry');

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForSelector('body[data-state="logged-out"]');
  assert.equal(await view.isVisible(), false);
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
});

test('the demo page tells a CORS refusal from a server that is down', async () => {
  // The same page from an origin the server does not allow.
  const other = await startDemoServer();
  try {
    await page.goto(`${other.url}?api=${encodeURIComponent(srv.baseURL)}`);
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: 'refused this origin' }).waitFor();
    const text = await alert.textContent();
    assert.match(text, /the server at .* refused this origin \(http:\/\/127\.0\.0\.1:\d+\): add it to server\.cors\.allowed_origins/i);
    assert.ok(text.includes(other.origin), 'the message names the page origin');
    await page.screenshot({ path: join(resultsDir, 'cors-refused.png') });
  } finally {
    await other.close();
  }

  // Nothing listening: the page says the API could not be reached.
  const down = `http://127.0.0.1:${await freePort()}`;
  await page.goto(`${demo.url}?api=${encodeURIComponent(down)}`);
  const alert = page.getByRole('alert');
  await alert.filter({ hasText: 'could not be reached' }).waitFor();
  assert.doesNotMatch(await alert.textContent(), /refused this origin/);
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
});

/** The answer of the captcha issued last (the page's newest). */
async function newestCaptchaAnswer() {
  const [doc] = await mongo.db('blogapi').collection('captchas').find().sort({ expiresAt: -1 }).limit(1).toArray();
  assert.ok(doc, 'a captcha is in the database');
  return doc.answer;
}

/** Waits until the <img> id shows a picture other than the one at src before. */
function pictureLoaded(id, before = '') {
  return page.waitForFunction(
    ([id, before]) => {
      const el = document.getElementById(id);
      return el.src.startsWith('blob:') && el.src !== before && el.complete && el.naturalWidth > 0;
    },
    [id, before],
  );
}

test('after failed logins the demo shows a captcha on the login form and logs in with it', async () => {
  const account = `guard_${process.pid}`;
  const password = 'right password';
  const client = createClient({ baseURL: srv.baseURL, authKey, authSecret });
  const { id } = await client.captcha();
  await client.register({ account, password, email: `${account}@example.com`, captcha: await captchaAnswer(id), captchaId: id });

  await page.goto(`${demo.url}?api=${encodeURIComponent(srv.baseURL)}`);
  await page.waitForSelector('body[data-ready="true"]');
  const login = page.getByRole('region', { name: 'Log in' });
  const group = page.locator('#login-captcha-group');
  const submit = async (pw) => {
    await login.getByLabel('Account or email').fill(account);
    await login.getByLabel('Password').fill(pw);
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/blogapi/login');
    await login.getByRole('button', { name: 'Log in' }).click();
    await answered;
    await page.waitForFunction(() => !document.querySelector('#login-form button[type=submit]').disabled);
  };
  assert.equal(await group.isVisible(), false, 'no captcha on the login form at first');
  for (let i = 0; i < 5 && !(await group.isVisible()); i++) await submit('wrong password');
  assert.equal(await group.isVisible(), true, 'the login form shows a captcha after repeated failures');
  assert.match(await page.getByRole('alert').textContent(), /captcha required \(code 400\): too many failed logins/);
  await pictureLoaded('login-captcha-image');
  await page.screenshot({ path: join(resultsDir, 'login-captcha.png'), fullPage: true });

  // A wrong answer is refused and replaced by a new captcha.
  const src = await page.locator('#login-captcha-image').getAttribute('src');
  await login.getByLabel('Captcha answer').fill(`${await newestCaptchaAnswer()}x`);
  await submit(password);
  assert.match(await page.getByRole('alert').textContent(), /captcha is wrong/);
  await pictureLoaded('login-captcha-image', src);

  await login.getByLabel('Captcha answer').fill(await newestCaptchaAnswer());
  await submit(password);
  await page.locator('#user-center').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#uc-account').textContent(), account);
  assert.equal(await group.isVisible(), false, 'the captcha is gone once logged in');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForSelector('body[data-state="logged-out"]');
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
});

/** The link of the newest mail to address with subject, as the outbox holds it (the log mailer). */
async function mailLink(address, subject) {
  for (let i = 0; i < 100; i++) {
    const [m] = await mongo.db('blogapi').collection('outbox').find({ to: address, subject }).sort({ createdAt: -1 }).limit(1).toArray();
    const link = m?.text.match(/https?:\/\/\S+token=[A-Za-z0-9_-]+/)?.[0];
    if (link) return link;
    await new Promise((r) => setTimeout(r, 50)); // the mail queue sends in the background
  }
  assert.fail(`no "${subject}" mail with a link to ${address}`);
}

test('the demo page follows the verification and the password-reset links from the outbox', async () => {
  const account = `links_${process.pid}`;
  const email = `${account}@example.com`;
  const client = createClient({ baseURL: srv.baseURL, authKey, authSecret });
  const { id } = await client.captcha();
  await client.register({ account, password: 'first password', email, captcha: await captchaAnswer(id), captchaId: id });

  // The page remembers its API; the links carry only their token.
  await page.goto(`${demo.url}?api=${encodeURIComponent(srv.baseURL)}`);
  await page.waitForSelector('body[data-ready="true"]');

  const verify = await mailLink(email, 'Confirm your email address');
  assert.ok(verify.startsWith(`${demo.origin}/demo/verify-email?token=`), verify);
  await page.goto(verify);
  await page.getByRole('status').filter({ hasText: `Your e-mail address ${email} is verified.` }).waitFor();
  assert.equal(new URL(page.url()).search, '', 'the token left the address bar');

  const { id: fid } = await client.captcha();
  await client.forgotPassword({ email, captcha: await captchaAnswer(fid), captchaId: fid });
  const reset = await mailLink(email, 'Reset your password');
  assert.ok(reset.startsWith(`${demo.origin}/demo/reset-password?token=`), reset);
  await page.goto(reset);
  const form = page.getByRole('region', { name: 'Choose a new password' });
  await form.waitFor({ state: 'visible' });
  await form.getByLabel('New password', { exact: true }).fill('second password');
  await form.getByLabel('New password again').fill('second passwrod');
  await form.getByRole('button', { name: 'Set the new password' }).click();
  await page.getByRole('alert').filter({ hasText: 'The two passwords differ.' }).waitFor();
  await form.getByLabel('New password again').fill('second password');
  await form.getByRole('button', { name: 'Set the new password' }).click();
  await page.getByRole('status').filter({ hasText: 'Your password is changed' }).waitFor();
  assert.equal(await form.isVisible(), false);
  await page.screenshot({ path: join(resultsDir, 'password-reset.png'), fullPage: true });

  // The new password logs in, and the user centre shows the address verified.
  const login = page.getByRole('region', { name: 'Log in' });
  await login.getByLabel('Account or email').fill(account);
  await login.getByLabel('Password').fill('second password');
  await login.getByRole('button', { name: 'Log in' }).click();
  // The test before left failed logins from this IP: the server may want a captcha.
  const loggedIn = page.locator('#user-center');
  const captcha = page.locator('#login-captcha-group');
  // Whichever shows first; a hidden element earlier in the page must not win.
  await page.locator('#user-center:visible, #login-captcha-group:visible').first().waitFor({ state: 'visible' });
  if (await captcha.isVisible()) {
    await pictureLoaded('login-captcha-image');
    await login.getByLabel('Captcha answer').fill(await newestCaptchaAnswer());
    await login.getByRole('button', { name: 'Log in' }).click();
  }
  await loggedIn.waitFor({ state: 'visible' });
  assert.equal(await page.locator('#uc-verified').textContent(), 'yes');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForSelector('body[data-state="logged-out"]');

  // A used link says so.
  await page.goto(reset);
  await page.getByRole('alert').filter({ hasText: 'invalid, used or expired' }).waitFor();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
});
