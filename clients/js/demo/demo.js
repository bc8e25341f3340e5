// The demo page: captcha, registration, login (with a captcha when the
// server asks for one), user centre and logout with the blogapi JS client,
// loaded unbundled through the page's import map; for an admin
// (docs/admin.md), a users list with a freeze button and the comments
// waiting for approval with an approve button.
//
// Query parameters (all optional, remembered for the next visit):
//   api     the API's base URL (default http://127.0.0.1:8080, `go run .`);
//   key     the app's auth_key;
//   secret  the app's auth_secret.
// The defaults are config.yaml's example app. A browser app cannot keep a
// secret: anyone can read this one from the page, so the signature only
// identifies an app build, never a user (SPEC §3); the user is the JWT.
// The API must allow this page's origin: server.cors.allowed_origins
// (BLOGAPI_SERVER_CORS_ALLOWED_ORIGINS), which `npm run demo` sets.
import { ApiError, createClient } from '@blogapi/client';

const query = new URLSearchParams(location.search);
// api, key and secret are remembered (localStorage), so that a mail link,
// which carries only its token, opens the page against the same API.
const SETTINGS = 'blogapi-demo:settings';
const settings = JSON.parse(localStorage.getItem(SETTINGS) ?? '{}');
for (const name of ['api', 'key', 'secret']) {
  if (query.has(name)) settings[name] = query.get(name);
}
localStorage.setItem(SETTINGS, JSON.stringify(settings));
const baseURL = settings.api ?? 'http://127.0.0.1:8080';
const authKey = settings.key ?? 'fwCWYMqmRINlRtMp';
const authSecret = settings.secret ?? 'G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh';

// The mail links open this page when server.frontend_url is its address
// (`npm run demo` sets it): {frontend_url}/verify-email?token=… and
// {frontend_url}/reset-password?token=… (mail.verify_link, mail.reset_link).
const mailLink = { page: location.pathname.split('/').pop(), token: query.get('token') ?? '' };

// sessionStorage: the tokens survive a reload but not the tab.
const client = createClient({ baseURL, authKey, authSecret, storage: sessionStorage });

const $ = (id) => document.getElementById(id);
$('api-url').textContent = baseURL;
$('app-key').textContent = authKey;

/**
 * A captcha shown in a form: the image element, the answer input, and the
 * id the answer goes with.
 */
function captchaBox(imageId, answerId) {
  return { imageId, answerId, id: '', url: '' };
}
const regCaptcha = captchaBox('captcha-image', 'reg-captcha');
const loginCaptcha = captchaBox('login-captcha-image', 'login-captcha');

function say(message) {
  $('error').replaceChildren();
  $('status').textContent = message;
}

/** Shows an error message of the page's own. */
function complain(message) {
  $('status').textContent = '';
  $('error').textContent = message;
}

/**
 * Whether anything answers at baseURL. A request the browser's CORS check
 * refused fails exactly like one to a server that is down; a no-cors
 * request tells them apart: its (opaque) answer arrives whatever the
 * server's CORS headers, and it fails only when nothing answers.
 */
async function reachable() {
  try {
    await fetch(new URL('/healthz', baseURL), { mode: 'no-cors', cache: 'no-store' });
    return true;
  } catch {
    return false;
  }
}

/** Shows an error; an ApiError with its code and field messages. */
async function fail(err) {
  $('status').textContent = '';
  const box = $('error');
  if (err instanceof ApiError) {
    const head = document.createElement('p');
    head.textContent = err.captchaRequired
      ? `${err.msg} (code ${err.code}): too many failed logins; type the captcha below and log in again.`
      : `${err.msg} (code ${err.code})`;
    box.replaceChildren(head);
    const details = err.errors.filter((e) => e.msg !== err.msg);
    if (details.length > 0) {
      const list = document.createElement('ul');
      for (const e of details) {
        const item = document.createElement('li');
        item.textContent = `${e.field}: ${e.msg}`;
        list.append(item);
      }
      box.append(list);
    }
  } else if (err instanceof TypeError && (await reachable())) {
    // fetch's own failure from a server that answers: its CORS policy
    // does not list this page's origin.
    box.textContent =
      `The server at ${baseURL} refused this origin (${location.origin}): add it to server.cors.allowed_origins ` +
      `(BLOGAPI_SERVER_CORS_ALLOWED_ORIGINS=${location.origin}) and restart the server.`;
  } else {
    box.textContent = `The API could not be reached at ${baseURL}: ${err.message}`;
  }
}

/** Runs an action with its form's submit button disabled. */
async function busy(button, action) {
  button.disabled = true;
  try {
    await action();
  } catch (err) {
    await fail(err);
  } finally {
    button.disabled = false;
  }
}

/** Shows a new captcha in box (a captcha works once, right or wrong). */
async function loadCaptcha(box) {
  const { id, svg } = await client.captcha({ width: 150, height: 50 });
  box.id = id;
  // An <img> renders the SVG without running anything inside it.
  if (box.url) URL.revokeObjectURL(box.url);
  box.url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  $(box.imageId).src = box.url;
  $(box.answerId).value = '';
}

function showUser(user) {
  const time = (el, ms) => {
    el.dateTime = ms ? new Date(ms).toISOString() : '';
    el.textContent = ms ? new Date(ms).toLocaleString() : 'never';
  };
  $('uc-account').textContent = user.account;
  $('uc-nick').textContent = user.nick;
  $('uc-email').textContent = user.email;
  $('uc-verified').textContent = user.emailVerified ? 'yes' : 'no';
  $('uc-status').textContent = user.status;
  $('uc-type').textContent = user.type;
  $('uc-level').textContent = String(user.level);
  time($('uc-created'), user.created);
  time($('uc-last-login'), user.lastLoginAt);
  setLoggedIn(true);
  $('admin').hidden = user.type !== 'admin';
  $('admin-comments').hidden = user.type !== 'admin';
  if (user.type === 'admin') return Promise.all([loadAdminUsers(user.id), loadPendingComments()]);
  return undefined;
}

let me = '';

/** Lists the first 20 users matching the search, each with a freeze button. */
async function loadAdminUsers(myID = me) {
  me = myID;
  const { items } = await client.admin.users({ q: $('admin-q').value || undefined, pageSize: 20 });
  const rows = items.map((u) => {
    const tr = document.createElement('tr');
    tr.dataset.account = u.account;
    for (const text of [u.account, u.email, u.type, u.status]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    const td = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Freeze';
    button.setAttribute('aria-label', `Freeze ${u.account}`);
    button.disabled = u.status === 'freeze' || u.id === me;
    button.addEventListener('click', () =>
      busy(button, async () => {
        await client.admin.setStatus(u.id, { status: 'freeze', reason: $('admin-reason').value });
        say(`Froze ${u.account}: their sessions ended.`);
        await loadAdminUsers();
      }),
    );
    td.append(button);
    tr.append(td);
    return tr;
  });
  $('admin-users').tBodies[0].replaceChildren(...rows);
  document.body.dataset.adminUsers = String(items.length);
}

/** Lists the 20 newest comments waiting for approval, each with an approve button. */
async function loadPendingComments() {
  const { items, total } = await client.admin.comments({ state: 'pending', pageSize: 20 });
  const rows = items.map((c) => {
    const tr = document.createElement('tr');
    tr.dataset.comment = c.ref;
    const written = new Date(c.created);
    for (const text of [c.article.title || c.article.id, c.nick, c.content, written.toLocaleString()]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    const td = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Approve';
    button.setAttribute('aria-label', `Approve the comment of ${c.nick} on ${c.article.title}`);
    button.addEventListener('click', () =>
      busy(button, async () => {
        await client.admin.approveComment(c.article.id, c.id);
        say(`Approved the comment of ${c.nick} on "${c.article.title}": it is public now.`);
        await loadPendingComments();
      }),
    );
    td.append(button);
    tr.append(td);
    return tr;
  });
  $('admin-pending').tBodies[0].replaceChildren(...rows);
  $('admin-pending').hidden = items.length === 0;
  $('admin-comments-empty').hidden = items.length > 0;
  document.body.dataset.pendingComments = String(total);
}

$('admin-filter').addEventListener('submit', (ev) => {
  ev.preventDefault();
  busy(ev.currentTarget.querySelector('button[type=submit]'), () => loadAdminUsers());
});

function setLoggedIn(yes) {
  $('user-center').hidden = !yes;
  if (!yes) {
    $('admin').hidden = true;
    $('admin-comments').hidden = true;
  }
  $('logged-out').hidden = yes;
  $('register').hidden = yes;
  $('login').hidden = yes;
  document.body.dataset.state = yes ? 'logged-in' : 'logged-out';
}

$('captcha-refresh').addEventListener('click', (ev) => busy(ev.currentTarget, () => loadCaptcha(regCaptcha)));
$('login-captcha-refresh').addEventListener('click', (ev) => busy(ev.currentTarget, () => loadCaptcha(loginCaptcha)));

$('register-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  busy(form.querySelector('button[type=submit]'), async () => {
    const f = new FormData(form);
    try {
      const user = await client.register({
        account: f.get('account'),
        password: f.get('password'),
        email: f.get('email'),
        nick: f.get('nick') || undefined,
        captcha: f.get('captcha'),
        captchaId: regCaptcha.id,
      });
      say(`Registered ${user.account}. You can log in now.`);
      $('login-account').value = user.account;
      form.reset();
    } finally {
      // A captcha works once, right or wrong (SPEC §6).
      await loadCaptcha(regCaptcha).catch(fail);
    }
  });
});

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  busy(form.querySelector('button[type=submit]'), async () => {
    const f = new FormData(form);
    const group = $('login-captcha-group');
    const withCaptcha = !group.hidden;
    let user;
    try {
      ({ user } = await client.login({
        account: f.get('account'),
        password: f.get('password'),
        ...(withCaptcha ? { captcha: f.get('captcha'), captchaId: loginCaptcha.id } : {}),
      }));
    } catch (err) {
      // After repeated failures the server wants a captcha with the login
      // (errors[].reason captcha_required); one that was sent is used up.
      if ((err instanceof ApiError && err.captchaRequired) || withCaptcha) {
        group.hidden = false;
        await loadCaptcha(loginCaptcha);
      }
      throw err;
    }
    form.reset();
    group.hidden = true;
    await showUser(await client.userCenter());
    say(`Logged in as ${user.account}.`);
  });
});

$('reset-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  busy(form.querySelector('button[type=submit]'), async () => {
    const f = new FormData(form);
    if (!f.get('password')) return complain('Type the new password.');
    if (f.get('password') !== f.get('confirm')) return complain('The two passwords differ.');
    await client.resetPassword({ token: mailLink.token, password: f.get('password') });
    form.reset();
    $('reset').hidden = true;
    say('Your password is changed and every session has ended: log in with the new password.');
  });
});

/** Follows the mail link the page was opened with, if any. */
async function openMailLink() {
  if (!mailLink.token || !['verify-email', 'reset-password'].includes(mailLink.page)) return;
  // The token is in memory now: keep it out of the address bar and history.
  history.replaceState(null, '', './');
  if (mailLink.page === 'verify-email') {
    const user = await client.verifyEmail(mailLink.token);
    say(`Your e-mail address ${user.email} is verified.`);
    return;
  }
  const { valid } = await client.checkResetToken(mailLink.token);
  if (!valid) return complain('This password-reset link is invalid, used or expired: ask for a new one.');
  $('reset').hidden = false;
  say('Choose a new password.');
}

$('logout').addEventListener('click', (ev) =>
  busy(ev.currentTarget, async () => {
    await client.logout();
    setLoggedIn(false);
    say('Logged out.');
  }),
);

async function start() {
  setLoggedIn(false);
  if (client.accessToken) {
    try {
      await showUser(await client.userCenter());
    } catch (err) {
      client.clearTokens();
      await fail(err);
    }
  }
  await openMailLink().catch(fail);
  await loadCaptcha(regCaptcha);
  document.body.dataset.ready = 'true';
}

start().catch(fail);
