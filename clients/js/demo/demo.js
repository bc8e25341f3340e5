// The demo page: captcha, registration, login, user centre and logout with
// the blogapi JS client, loaded unbundled through the page's import map.
//
// Query parameters (all optional):
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
const baseURL = query.get('api') ?? 'http://127.0.0.1:8080';
const authKey = query.get('key') ?? 'fwCWYMqmRINlRtMp';
const authSecret = query.get('secret') ?? 'G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh';

// sessionStorage: the tokens survive a reload but not the tab.
const client = createClient({ baseURL, authKey, authSecret, storage: sessionStorage });

const $ = (id) => document.getElementById(id);
$('api-url').textContent = baseURL;
$('app-key').textContent = authKey;

let captchaId = '';
let captchaURL = '';

function say(message) {
  $('error').replaceChildren();
  $('status').textContent = message;
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
    head.textContent = `${err.msg} (code ${err.code})`;
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

async function loadCaptcha() {
  const { id, svg } = await client.captcha({ width: 150, height: 50 });
  captchaId = id;
  // An <img> renders the SVG without running anything inside it.
  if (captchaURL) URL.revokeObjectURL(captchaURL);
  captchaURL = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  $('captcha-image').src = captchaURL;
  $('reg-captcha').value = '';
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
}

function setLoggedIn(yes) {
  $('user-center').hidden = !yes;
  $('logged-out').hidden = yes;
  $('register').hidden = yes;
  $('login').hidden = yes;
  document.body.dataset.state = yes ? 'logged-in' : 'logged-out';
}

$('captcha-refresh').addEventListener('click', (ev) => busy(ev.currentTarget, loadCaptcha));

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
        captchaId,
      });
      say(`Registered ${user.account}. You can log in now.`);
      $('login-account').value = user.account;
      form.reset();
    } finally {
      // A captcha works once, right or wrong (SPEC §6).
      await loadCaptcha().catch(fail);
    }
  });
});

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  busy(form.querySelector('button[type=submit]'), async () => {
    const f = new FormData(form);
    const { user } = await client.login({ account: f.get('account'), password: f.get('password') });
    form.reset();
    showUser(await client.userCenter());
    say(`Logged in as ${user.account}.`);
  });
});

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
      showUser(await client.userCenter());
    } catch (err) {
      client.clearTokens();
      await fail(err);
    }
  }
  await loadCaptcha();
  document.body.dataset.ready = 'true';
}

start().catch(fail);
