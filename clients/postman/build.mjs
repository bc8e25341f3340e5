// Builds blogapi.postman_collection.json (Postman collection format v2.1)
// from the request list below and src/prerequest.js, the collection-level
// pre-request script that signs every request (SPEC §3).
//
//   node build.mjs          write the collection
//   node build.mjs --check  exit 1 when the committed file differs
//
// The collection file is committed: Postman and newman read it as is. A
// test (test/collection.test.mjs) fails when it was edited by hand instead
// of here.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const collectionPath = join(here, 'blogapi.postman_collection.json');

/**
 * The server settings the collection needs (README "Clients → Postman"
 * shows them for a server of your own):
 *   - captchas off (captcha.enabled, SPEC §6): registration and login need
 *     no captcha answer, which a script cannot read from the SVG;
 *   - the brute-force guard's thresholds raised (security.login_*): the
 *     collection's four wrong-password requests come from one IP, and the
 *     default 3 failures per IP would make the next login demand a captcha;
 *   - the hourly rate limits of registration, forgot-password and
 *     verification resend raised (rate_limit.*): a run makes 4, 3 and 2 of
 *     those requests, so a long-lived server would refuse the second run.
 * The collection's first request checks the first and the last of them and
 * stops the run with serverCommand when they are not so.
 */
export const serverEnv = {
  BLOGAPI_CAPTCHA_ENABLED: 'false',
  BLOGAPI_SECURITY_LOGIN_CAPTCHA_AFTER: '100',
  BLOGAPI_SECURITY_LOGIN_LOCK_AFTER: '200',
  BLOGAPI_RATE_LIMIT_REGISTER: '100-H',
  BLOGAPI_RATE_LIMIT_FORGOT_PASSWORD: '100-H',
  BLOGAPI_RATE_LIMIT_VERIFY_RESEND: '100-H',
};

/**
 * The admin the Admin folder logs in as, created before the server starts
 * as an operator does (docs/admin.md): `blogapi admin create -account admin
 * -email admin@example.com` with the password on stdin. The environment's
 * adminPassword is its md5 hex, as a login sends it.
 */
export const serverAdmin = { account: 'admin', email: 'admin@example.com', password: 'admin-password-1' };

/** The command starting a server for the collection (README shows it too). */
export const serverCommand = `${Object.entries(serverEnv).map(([k, v]) => `${k}=${v}`).join(' ')} go run .`;

const lines = (text) => text.replace(/\n$/, '').split('\n');

// The envelope's code, the assertion every request makes (SPEC §2).
const codeTest = (code) => [
  `pm.test('code ${code}', function () {`,
  `  pm.expect(pm.response.json().code).to.equal(${code});`,
  `});`,
];

// A test script: the code check, then the request's own lines.
const tests = (code, body = '') => [...(code === null ? [] : codeTest(code)), ...(body ? lines(body) : [])];

// A field error's name in errors[] (SPEC §2).
const fieldTest = (field) => `pm.test('errors name ${field}', function () {
  pm.expect(pm.response.json().errors.map(function (e) { return e.field; })).to.include('${field}');
});`;

// The page object of the article lists.
const pageTest = `var p = pm.response.json().data;
pm.test('a page', function () {
  pm.expect(p.items).to.be.an('array');
  pm.expect(p.total).to.be.a('number');
  pm.expect(p.hasNextPage).to.be.a('boolean');
});`;

const storePair = `var d = pm.response.json().data;
pm.test('a new token pair', function () {
  pm.expect(d.token).to.be.a('string').and.not.empty;
  pm.expect(d.refreshToken).to.be.a('string').and.not.empty;
  pm.expect(d.expiresIn).to.equal(7200);
});
pm.environment.set('token', d.token);
pm.environment.set('refreshToken', d.refreshToken);`;

/**
 * One request item.
 * @param {object} r
 * @param {string} r.name
 * @param {string} r.method
 * @param {string} r.path e.g. /blogapi/login, or /blogapi/upload/:id with r.vars
 * @param {[string,string][]} [r.vars] values of the path's :variables
 * @param {string} r.doc the description shown in Postman
 * @param {[string,string][]} [r.query]
 * @param {object} [r.json] a JSON body (written as text; {{variables}} allowed in strings)
 * @param {[string,string][]} [r.form] an x-www-form-urlencoded body
 * @param {[string,string,boolean?][]} [r.headers] [key, value, disabled]
 * @param {string} [r.sign] an X-Postman-Sign mode (see src/prerequest.js)
 * @param {[string,string][]} [r.vars] path variables: [name, value] for each :name of r.path
 * @param {string[]} r.test the test script
 */
function item(r) {
  const headers = (r.headers ?? []).map(([key, value, disabled]) => ({ key, value, ...(disabled ? { disabled: true } : {}) }));
  if (r.sign) headers.push({ key: 'X-Postman-Sign', value: r.sign, description: 'read and removed by the collection pre-request script' });
  const request = { method: r.method, header: headers };
  if (r.json) {
    headers.push({ key: 'Content-Type', value: 'application/json' });
    request.body = { mode: 'raw', raw: JSON.stringify(r.json, null, 2), options: { raw: { language: 'json' } } };
  } else if (r.form) {
    request.body = { mode: 'urlencoded', urlencoded: r.form.map(([key, value]) => ({ key, value })) };
  }
  const query = (r.query ?? []).map(([key, value]) => ({ key, value }));
  const raw = `{{baseURL}}${r.path}` + (query.length ? '?' + query.map((q) => `${q.key}=${q.value}`).join('&') : '');
  const variable = (r.vars ?? []).map(([key, value]) => ({ key, value }));
  request.url = {
    raw, host: ['{{baseURL}}'], path: r.path.split('/').filter(Boolean),
    ...(query.length ? { query } : {}), ...(variable.length ? { variable } : {}),
  };
  request.description = r.doc;
  return {
    name: r.name,
    event: [{ listen: 'test', script: { type: 'text/javascript', exec: r.test } }],
    request,
  };
}

const folder = (name, description, items) => ({ name, description, item: items });

export const folders = [
  folder('Before the run', 'Checks that the server was started for this collection, and stops the run with one message when it was not.', [
    item({
      name: 'Server started for this collection', method: 'POST', path: '/blogapi/reg',
      json: { account: 'pf_{{$timestamp}}_{{$randomInt}}', password: '{{password}}', email: 'pf_{{$timestamp}}_{{$randomInt}}@example.com' },
      doc: `Registers a throwaway account without a captcha. The collection needs a server started for it (a script cannot read a captcha, and the run's deliberate failures would trip the default brute-force guard and rate limits): ${serverCommand}. When captchas are on, or registration is limited to fewer than 100 an hour, the test says so and the run stops here.`,
      test: tests(null, `var body = pm.response.json();
var limit = pm.response.headers.get('X-RateLimit-Limit');
var problem = '';
if (body.code !== 200) {
  problem = (body.errors || []).some(function (e) { return e.field === 'captcha'; })
    ? 'captchas are on, and a script cannot read one'
    : 'registering without a captcha answered ' + body.code + ' ' + body.msg;
} else if (limit && Number(limit) < 100) {
  problem = 'registration is limited to ' + limit + ' an hour, and each run registers 4 accounts';
}
// One message, then stop: the rest of the run would fail in chains.
if (problem) postman.setNextRequest(null);
pm.test('server started for this collection', function () {
  if (problem) {
    throw new Error(problem + '. Start the server for this collection with: ${serverCommand} ' +
      '(clients/postman/README.md), then run the collection again.');
  }
  pm.response.to.have.status(200);
});`),
    }),
  ]),

  folder('Health', 'Unsigned operational routes outside /blogapi (SPEC §7).', [
    item({
      name: 'Liveness', method: 'GET', path: '/healthz', doc: 'The process is up.',
      test: tests(200, `pm.test('status ok', function () { pm.expect(pm.response.json().data.status).to.equal('ok'); });`),
    }),
    item({
      name: 'Readiness', method: 'GET', path: '/readyz', doc: 'MongoDB answers a ping (503 when it does not).',
      test: tests(200, `pm.test('status ready', function () { pm.expect(pm.response.json().data.status).to.equal('ready'); });`),
    }),
    item({
      name: 'Metrics', method: 'GET', path: '/metrics', doc: 'Prometheus metrics, unsigned (on this router while metrics.addr is empty).',
      test: tests(null, `pm.test('HTTP 200, Prometheus text', function () { pm.response.to.have.status(200); pm.expect(pm.response.headers.get('Content-Type')).to.include('text/plain'); pm.expect(pm.response.text()).to.match(/^blogapi_http_requests_total\\{/m); });`),
    }),
    item({
      name: 'API description', method: 'GET', path: '/openapi.yaml', doc: 'The OpenAPI 3.0.3 description (docs/openapi.yaml), unsigned.',
      test: tests(null, `pm.test('HTTP 200, YAML', function () { pm.response.to.have.status(200); pm.expect(pm.response.headers.get('Content-Type')).to.include('application/yaml'); pm.expect(pm.response.text()).to.match(/^openapi: 3\\.0\\.3$/m); });`),
    }),
  ]),

  folder('Service', 'Captcha and the password-transport key (SPEC §6, §7).', [
    item({
      name: 'Captcha', method: 'GET', path: '/blogapi/service/captcha', query: [['width', '150'], ['height', '50'], ['format', 'json']],
      doc: 'An SVG captcha (width 40–600, height 20–200) in the envelope (format=json): data is the SVG; the id is in X-Captcha-Id and the captcha_id cookie.',
      test: tests(200, `var svg = pm.response.json().data;
pm.test('data is an SVG without <text>', function () {
  pm.expect(svg).to.match(/^<svg[\\s>]/);
  pm.expect(svg).to.not.include('<text');
});
pm.test('X-Captcha-Id header', function () {
  pm.expect(pm.response.headers.get('X-Captcha-Id')).to.be.a('string').and.not.empty;
});`),
    }),
    item({
      name: 'Captcha as raw SVG', method: 'GET', path: '/blogapi/service/captcha', headers: [['Accept', 'image/svg+xml']],
      doc: 'Without format=json (the default) the body is the SVG itself, not the envelope, as the blog SPA reads it.',
      test: tests(null, `pm.test('HTTP 200 image/svg+xml', function () {
  pm.response.to.have.status(200);
  pm.expect(pm.response.headers.get('Content-Type')).to.include('image/svg+xml');
  pm.expect(pm.response.text()).to.match(/^<svg[\\s>]/);
});`),
    }),
    item({
      name: 'Captcha too narrow (400)', method: 'GET', path: '/blogapi/service/captcha', query: [['width', '10']],
      doc: 'width below 40 is a 400.', test: tests(400),
    }),
    item({
      name: 'Public key', method: 'GET', path: '/blogapi/service/pubkey',
      doc: 'The RSA public key (PEM) for sending passwords encrypted with RSA-OAEP-SHA256.',
      test: tests(200, `var d = pm.response.json().data;
pm.test('PEM key and scheme', function () {
  pm.expect(d.publicKey).to.include('-----BEGIN PUBLIC KEY-----');
  pm.expect(d.passwordEnc).to.equal('rsa-oaep-sha256');
});`),
    }),
  ]),

  folder('Registration', 'Check a name and register (captchas are off in the newman run: BLOGAPI_CAPTCHA_ENABLED=false).', [
    item({
      name: 'Check username (free)', method: 'GET', path: '/blogapi/reg/check/username',
      query: [['account', 'pm_{{$timestamp}}_{{$randomInt}}']],
      doc: 'A fresh name for this run is free; the test keeps it as {{account}} for the requests that follow.',
      test: tests(200, `var d = pm.response.json().data;
pm.test('available', function () {
  pm.expect(d.available).to.equal(true);
  pm.expect(d.account).to.match(/^pm_\\d+_\\d+$/);
});
pm.environment.set('account', d.account);`),
    }),
    item({
      name: 'Check username (invalid, 400)', method: 'GET', path: '/blogapi/reg/check/username', query: [['account', 'ab']],
      doc: 'Accounts are 3–32 characters of [A-Za-z0-9_.-]: a 400 names the field.',
      test: tests(400, fieldTest('account')),
    }),
    item({
      name: 'Register', method: 'POST', path: '/blogapi/reg',
      json: { account: '{{account}}', password: '{{password}}', email: '{{account}}@example.com', nick: '小灰' },
      doc: 'password is md5(plaintext) in hex. With captchas on, add captcha and captcha_id.',
      test: tests(200, `var u = pm.response.json().data;
pm.test('a pending user', function () {
  pm.expect(u.account).to.equal(pm.environment.get('account'));
  pm.expect(u.email).to.equal(pm.environment.get('account') + '@example.com');
  pm.expect(u.nick).to.equal('小灰');
  pm.expect(u.status).to.equal('pending');
  pm.expect(u.emailVerified).to.equal(false);
  pm.expect(u.type).to.equal('client');
  pm.expect(u).to.not.have.property('passwordHash');
});
pm.environment.set('email', u.email);`),
    }),
    item({
      name: 'Check username (taken)', method: 'GET', path: '/blogapi/reg/check/username', query: [['account', '{{account}}']],
      doc: 'The registered name is no longer available (ignoring case).',
      test: tests(200, `pm.test('not available', function () { pm.expect(pm.response.json().data.available).to.equal(false); });`),
    }),
    item({
      name: 'Register the same account (409)', method: 'POST', path: '/blogapi/reg',
      json: { account: '{{account}}', password: '{{password}}', email: 'other-{{account}}@example.com' },
      doc: 'Accounts are unique ignoring case.', test: tests(409, fieldTest('account')),
    }),
    item({
      name: 'Register with a bad email (400)', method: 'POST', path: '/blogapi/reg',
      json: { account: 'x{{account}}', password: '{{password}}', email: 'not-an-address' },
      doc: 'A field error names the field.', test: tests(400, fieldTest('email')),
    }),
  ]),

  folder('Login and renewal', 'Sessions (SPEC §4): login stores {{token}} and {{refreshToken}}; the collection script sends {{token}} as access-token.', [
    item({
      name: 'Login with a wrong password (401)', method: 'POST', path: '/blogapi/login',
      json: { account: '{{account}}', password: '00000000000000000000000000000000' },
      doc: 'Unknown account and wrong password answer alike.',
      test: tests(401, `pm.test('msg', function () { pm.expect(pm.response.json().msg).to.equal('account or password is incorrect'); });`),
    }),
    item({
      name: 'Login', method: 'POST', path: '/blogapi/login',
      json: { account: '{{account}}', password: '{{password}}' },
      doc: 'account is the account name or the email. Answers {token, refreshToken, expiresIn, user}.',
      test: tests(200, `${storePair}
pm.test('the user', function () { pm.expect(d.user.account).to.equal(pm.environment.get('account')); });`),
    }),
    item({
      name: 'Renew the pair', method: 'POST', path: '/blogapi/service/renewal',
      json: { refreshToken: '{{refreshToken}}' },
      doc: 'Rotates the refresh token into a new pair; the old refresh token stops working.',
      test: tests(200, `var old = pm.environment.get('refreshToken');
${storePair}
pm.test('rotated', function () { pm.expect(d.refreshToken).to.not.equal(old); });`),
    }),
    item({
      name: 'Renew with a malformed refresh token (521)', method: 'POST', path: '/blogapi/service/renewal',
      json: { refreshToken: 'not-a-jwt' }, doc: 'A token that is not a valid JWT is a 521.', test: tests(521),
    }),
  ]),

  folder('User', 'The logged-in user (JWT).', [
    item({
      name: 'User center', method: 'GET', path: '/blogapi/user/center', doc: "The caller's own profile.",
      test: tests(200, `var u = pm.response.json().data;
pm.test('own profile', function () {
  pm.expect(u.account).to.equal(pm.environment.get('account'));
  pm.expect(u.email).to.equal(pm.environment.get('email'));
});`),
    }),
    item({
      name: 'User center without a token (401)', method: 'GET', path: '/blogapi/user/center',
      headers: [['access-token', '{{token}}', true]],
      doc: 'The access-token header is switched off here, so the collection script attaches none.',
      test: tests(401),
    }),
    item({
      name: 'User center with a malformed token (521)', method: 'GET', path: '/blogapi/user/center',
      headers: [['access-token', 'not-a-jwt']], doc: 'A token that is not a valid JWT is a 521.', test: tests(521),
    }),
    item({
      name: 'Update nick and avatar', method: 'PUT', path: '/blogapi/user/update',
      json: { nick: '小灰灰', avatar: 'https://example.com/a.png' },
      doc: 'nick (≤ 32 characters), avatar (an http(s) URL or "").',
      test: tests(200, `var u = pm.response.json().data;
pm.test('updated', function () {
  pm.expect(u.nick).to.equal('小灰灰');
  pm.expect(u.avatar).to.equal('https://example.com/a.png');
});`),
    }),
    item({
      name: 'Update avatar (form body)', method: 'PUT', path: '/blogapi/user/update',
      form: [['avatar', 'https://example.com/a.png?size=64&v=2+1&x=%41']],
      doc: 'The same route with an x-www-form-urlencoded body.',
      test: tests(200, `pm.test('avatar as sent', function () {
  pm.expect(pm.response.json().data.avatar).to.equal('https://example.com/a.png?size=64&v=2+1&x=%41');
});`),
    }),
    item({
      name: 'Change the email with a wrong password (401)', method: 'PUT', path: '/blogapi/user/update',
      json: { email: 'new-{{account}}@example.com', password: '00000000000000000000000000000000' },
      doc: 'A new email needs the current password.', test: tests(401),
    }),
    item({
      name: 'Change the email', method: 'PUT', path: '/blogapi/user/update',
      json: { email: 'new-{{account}}@example.com', password: '{{password}}' },
      doc: 'The new address is unverified and gets a verification link (in the server log in development).',
      test: tests(200, `var u = pm.response.json().data;
pm.test('new email, unverified', function () {
  pm.expect(u.email).to.equal('new-' + pm.environment.get('account') + '@example.com');
  pm.expect(u.emailVerified).to.equal(false);
});
pm.environment.set('email', u.email);`),
    }),
  ]),

  folder('Uploads', 'Avatars and article images (docs/uploads.md). Files go as multipart/form-data; these requests check the refusals that need no file.', [
    item({
      name: 'Upload without a multipart body (400)', method: 'POST', path: '/blogapi/upload',
      json: { dir: 'avatar' },
      doc: 'An upload is multipart/form-data: the file part file and the text field dir (avatar or article). Anything else is a 400 about file.',
      test: tests(400, fieldTest('file')),
    }),
    item({
      name: 'Delete an upload that does not exist (404)', method: 'DELETE', path: '/blogapi/upload/:id',
      vars: [['id', 'cnv0h0ud0000000000a0']],
      doc: 'Only the owner or an admin may delete an upload; for anyone else, as for a missing one, the answer is 404.',
      test: tests(404),
    }),
    item({
      name: 'A stored image that does not exist (404)', method: 'GET', path: '/media/:dir/:file',
      vars: [['dir', 'avatar'], ['file', 'cnv0h0ud0000000000a0.jpg']],
      doc: 'Uploaded images are served unsigned at the url an upload answers; a key the server did not make, or of a deleted upload, is a 404 envelope.',
      test: tests(404),
    }),
  ]),

  folder('Email', 'Email verification (issue 3). The link in the mail is unsigned.', [
    item({
      name: 'Resend the verification mail', method: 'POST', path: '/blogapi/email/verify/resend',
      doc: 'A new link for an unverified email (rate-limited).',
      test: tests(200, `pm.test('sent', function () { pm.expect(pm.response.json().data.sent).to.equal(true); });`),
    }),
    item({
      name: 'Resend without a token (401)', method: 'POST', path: '/blogapi/email/verify/resend',
      headers: [['access-token', '{{token}}', true]], doc: 'JWT route: no access token is a 401.', test: tests(401),
    }),
    item({
      name: 'Verify with a bogus token (400)', method: 'GET', path: '/blogapi/email/verify',
      query: [['token', 'bogus-{{$randomUUID}}']], sign: 'skip',
      doc: 'The mail link (unsigned: a link cannot carry a signature). An unknown, used or expired token is a 400.',
      test: tests(400, `pm.test('msg', function () { pm.expect(pm.response.json().msg).to.equal('link is invalid or has expired'); });
${fieldTest('token')}`),
    }),
  ]),

  folder('Password', 'Password change and reset (issue 3). Passwords travel as md5 hex.', [
    item({
      name: 'Change the password with a wrong old one (401)', method: 'PUT', path: '/blogapi/user/reset',
      json: { oldPassword: '00000000000000000000000000000000', password: '{{newPassword}}' },
      doc: 'oldPassword must be the current one.', test: tests(401),
    }),
    item({
      name: 'Change the password', method: 'PUT', path: '/blogapi/user/reset',
      json: { oldPassword: '{{password}}', password: '{{newPassword}}' },
      doc: 'Every session ends; the answer is a fresh pair for a new one.',
      test: tests(200, storePair),
    }),
    item({
      name: 'Login with the old password (401)', method: 'POST', path: '/blogapi/login',
      json: { account: '{{account}}', password: '{{password}}' }, doc: 'The old password no longer works.', test: tests(401),
    }),
    item({
      name: 'Login with the new password (by email)', method: 'POST', path: '/blogapi/login',
      json: { account: '{{email}}', password: '{{newPassword}}' }, doc: 'account may be the email address.',
      test: tests(200, storePair),
    }),
    item({
      name: 'Forgot the password', method: 'POST', path: '/blogapi/password/forgot',
      json: { email: '{{email}}' },
      doc: 'Always the same 200, whether or not the address exists; the link is mailed (logged in development).',
      test: tests(200, `pm.test('message', function () { pm.expect(pm.response.json().data.message).to.be.a('string').and.not.empty; });`),
    }),
    item({
      name: 'Forgot the password (unknown account, form body)', method: 'POST', path: '/blogapi/password/forgot',
      form: [['account', 'nobody-{{$randomInt}}']], doc: 'The same answer for an account that does not exist.',
      test: tests(200),
    }),
    item({
      name: 'Forgot the password without email or account (400)', method: 'POST', path: '/blogapi/password/forgot',
      json: {}, doc: 'email or account is required.', test: tests(400, fieldTest('email')),
    }),
    item({
      name: 'Check a bogus reset token', method: 'GET', path: '/blogapi/password/reset/check',
      query: [['token', 'bogus-{{$randomUUID}}']], sign: 'skip',
      doc: 'The mail link (unsigned). Says whether a reset token still works.',
      test: tests(200, `pm.test('not valid', function () {
  var d = pm.response.json().data;
  pm.expect(d.valid).to.equal(false);
  pm.expect(d.expiresAt).to.equal(0);
});`),
    }),
    item({
      name: 'The reset link in a browser (HTML page)', method: 'GET', path: '/blogapi/password/reset/check',
      query: [['token', 'bogus-{{$randomUUID}}']], sign: 'skip', headers: [['Accept', 'text/html']],
      doc: 'A browser opening the link (Accept: text/html) gets a page: the form choosing a new password while the token works, else a 400 page.',
      test: tests(null, `pm.test('HTTP 400, an HTML page', function () {
  pm.response.to.have.status(400);
  pm.expect(pm.response.headers.get('Content-Type')).to.include('text/html');
  pm.expect(pm.response.text()).to.include('This link is invalid, used or expired');
});`),
    }),
    item({
      name: 'The reset page form with a bogus token (HTML page)', method: 'POST', path: '/blogapi/password/reset/form',
      form: [['token', 'bogus-{{$randomUUID}}'], ['password', 'new password'], ['password_confirm', 'new password']], sign: 'skip',
      doc: 'What the reset page posts (unsigned: the token is the credential; the password in plain text, twice). Answers a page.',
      test: tests(null, `pm.test('HTTP 400, an HTML page', function () {
  pm.response.to.have.status(400);
  pm.expect(pm.response.headers.get('Content-Type')).to.include('text/html');
  pm.expect(pm.response.text()).to.include('link is invalid or has expired');
});`),
    }),
    item({
      name: 'Reset with a bogus token (400)', method: 'POST', path: '/blogapi/password/reset',
      json: { resetToken: 'bogus-{{$randomUUID}}', password: '{{password}}' },
      doc: 'The reset token goes as resetToken (token is the signature). Invalid, used or expired: 400; user gone: 404.',
      test: tests(400, `pm.test('msg', function () { pm.expect(pm.response.json().msg).to.equal('link is invalid or has expired'); });`),
    }),
  ]),

  folder('Blog', 'The blog (docs/blog.md). The run\'s account is a client: it reads, and its writes are refused or find nothing; publishing needs an author or admin account.', [
    item({
      name: 'Own id', method: 'GET', path: '/blogapi/user/center', doc: 'Keeps the caller\'s id as {{userId}} for the author page.',
      test: tests(200, `pm.environment.set('userId', pm.response.json().data.id);`),
    }),
    item({
      name: 'Articles', method: 'GET', path: '/blogapi/articles', query: [['page', '1'], ['pageSize', '15']],
      doc: 'Public articles, newest first; category and tag filter (exact names).',
      test: tests(200, pageTest),
    }),
    item({ name: 'Recommended', method: 'GET', path: '/blogapi/article/recommend', doc: 'toped first, then the decayed score.', test: tests(200, pageTest) }),
    item({ name: 'Hot', method: 'GET', path: '/blogapi/article/hot', doc: 'The 10 most read.', test: tests(200, pageTest) }),
    item({
      name: 'Search', method: 'GET', path: '/blogapi/article/search', query: [['keyword', 'go']],
      doc: 'A literal, case-insensitive substring of the title, summary or text; tag matches exactly.', test: tests(200, pageTest),
    }),
    item({
      name: 'Search with a keyword over 64 characters (400)', method: 'GET', path: '/blogapi/article/search',
      query: [['keyword', 'x'.repeat(65)]], doc: 'keyword is at most 64 characters.', test: tests(400, fieldTest('keyword')),
    }),
    item({ name: 'Drafts', method: 'GET', path: '/blogapi/article/draft', doc: "The caller's drafts.", test: tests(200, pageTest) }),
    item({
      name: 'Publish as a client (403)', method: 'POST', path: '/blogapi/article/section',
      json: { title: 'Hello', content: '<p>Hi</p>', type: 'original', category: '默认', tags: ['go'], status: 'online' },
      doc: 'Only authors and admins publish; the body is the SPA\'s (title, content, type, category, tags[], cover, summary, status, isPrivate, seo).',
      test: tests(403),
    }),
    item({
      name: 'Article detail (404)', method: 'GET', path: '/blogapi/article/detail/:id', vars: [['id', '0123456789abcdef01234567']],
      doc: 'By id or slug; drafts of others are the same 404.', test: tests(404),
    }),
    item({
      name: 'Edit an unknown article (404)', method: 'PUT', path: '/blogapi/article/section/:id', vars: [['id', '0123456789abcdef01234567']],
      json: { title: 'Hello', content: '<p>Hi</p>', type: 'original', category: '默认' }, doc: 'Edits carry the same body; a stale version is a 409.', test: tests(404),
    }),
    item({
      name: 'Delete an unknown article (404)', method: 'DELETE', path: '/blogapi/article/section/:id', vars: [['id', '0123456789abcdef01234567']],
      doc: 'Soft delete, by the author or an admin.', test: tests(404),
    }),
    item({
      name: 'Check like', method: 'GET', path: '/blogapi/action/checklike/:id', vars: [['id', '0123456789abcdef01234567']],
      doc: 'isPraise for the caller.', test: tests(200, `pm.test('not liked', function () { pm.expect(pm.response.json().data.isPraise).to.equal(false); });`),
    }),
    item({
      name: 'Like an unknown article (404)', method: 'POST', path: '/blogapi/action/:id/like', vars: [['id', '0123456789abcdef01234567']],
      doc: 'One like per user and article (409 the second time).', test: tests(404),
    }),
    item({
      name: 'Unlike', method: 'DELETE', path: '/blogapi/action/:id/like', vars: [['id', '0123456789abcdef01234567']],
      doc: '200 also when not liked.', test: tests(200),
    }),
    item({
      name: 'Comments of an unknown article (404)', method: 'GET', path: '/blogapi/action/:id/comments', vars: [['id', '0123456789abcdef01234567']],
      doc: 'Roots with their replies in sub.', test: tests(404),
    }),
    item({
      name: 'Comment on an unknown article (404)', method: 'POST', path: '/blogapi/action/:id/comment', vars: [['id', '0123456789abcdef01234567']],
      json: { content: 'Nice post', targetId: '', replyUser: '' }, doc: 'content (≤ 2000 characters), targetId (the root replied to or ""), replyUser.', test: tests(404),
    }),
    item({
      name: 'Moderate a comment of an unknown article (404)', method: 'PUT', path: '/blogapi/action/:id/comment/:cid',
      vars: [['id', '0123456789abcdef01234567'], ['cid', '0123456789abcdef01234567']], json: { state: 'visible' },
      doc: 'An admin or the article\'s author approves (visible), holds or hides a comment.', test: tests(404),
    }),
    item({
      name: 'Types', method: 'GET', path: '/blogapi/select/types', doc: '[{name, identify}]',
      test: tests(200, `pm.test('default types', function () { pm.expect(pm.response.json().data.map(function (t) { return t.identify; })).to.include('original'); });`),
    }),
    item({ name: 'Categories', method: 'GET', path: '/blogapi/select/category', doc: '[{name, count}]', test: tests(200) }),
    item({ name: 'Tags', method: 'GET', path: '/blogapi/select/tag', doc: 'Tag names.', test: tests(200) }),
    item({ name: 'Banners', method: 'GET', path: '/blogapi/banner', doc: '[{cover, goUrl, title, summary}]', test: tests(200) }),
    item({
      name: 'Author page', method: 'GET', path: '/blogapi/user/:id/center', vars: [['id', '{{userId}}']],
      doc: 'A public profile: no e-mail, phone, status or last login.',
      test: tests(200, `pm.test('no e-mail', function () { pm.expect(pm.response.json().data).to.not.have.property('email'); });`),
    }),
    item({ name: 'Author articles', method: 'GET', path: '/blogapi/user/:id/article', vars: [['id', '{{userId}}']], doc: 'Public articles of the user.', test: tests(200, pageTest) }),
    item({ name: 'Author likes', method: 'GET', path: '/blogapi/user/:id/like', vars: [['id', '{{userId}}']], doc: 'Public articles the user likes.', test: tests(200, pageTest) }),
    ...[
      ['RSS feed', '/feed.xml', 'application/rss+xml', '<rss', 'Unsigned: the latest public articles (RSS 2.0).'],
      ['Atom feed', '/atom.xml', 'application/atom+xml', '<feed', 'Unsigned: the same as Atom 1.0.'],
      ['Sitemap', '/sitemap.xml', 'application/xml', '<urlset', 'Unsigned: the home page and every public article.'],
    ].map(([name, path, type, root, doc]) => item({
      name, method: 'GET', path, doc,
      test: tests(null, `pm.test('HTTP 200, ${type}', function () { pm.response.to.have.status(200); pm.expect(pm.response.headers.get('Content-Type')).to.include('${type}'); pm.expect(pm.response.text()).to.include('${root}'); });`),
    })),
  ]),

  folder('Logout', 'Ending sessions (SPEC §4).', [
    item({
      name: 'Login on a second device (form body)', method: 'POST', path: '/blogapi/login',
      form: [['account', '{{account}}'], ['password', '{{newPassword}}']], doc: 'A second session, kept as {{otherToken}}.',
      test: tests(200, `pm.environment.set('otherToken', pm.response.json().data.token);`),
    }),
    item({
      name: 'Logout', method: 'POST', path: '/blogapi/logout', doc: 'Ends this session only.',
      test: tests(200, `pm.environment.set('endedToken', pm.environment.get('token'));
pm.environment.unset('token');
pm.environment.unset('refreshToken');`),
    }),
    item({
      name: 'User center with the ended session (401)', method: 'GET', path: '/blogapi/user/center',
      headers: [['access-token', '{{endedToken}}']], doc: 'The token of an ended session is refused at once.',
      test: tests(401),
    }),
    item({
      name: 'User center on the second device', method: 'GET', path: '/blogapi/user/center',
      headers: [['access-token', '{{otherToken}}']], doc: 'The other session goes on.',
      test: tests(200),
    }),
    item({
      name: 'Logout everywhere (GET)', method: 'GET', path: '/blogapi/logout', query: [['all', 'true']],
      headers: [['access-token', '{{otherToken}}']], doc: 'all=true ends every session of the user.',
      test: tests(200),
    }),
    item({
      name: 'User center on the second device after logout everywhere (401)', method: 'GET', path: '/blogapi/user/center',
      headers: [['access-token', '{{otherToken}}']], doc: 'Every session has ended.',
      test: tests(401),
    }),
  ]),

  folder('Signature errors', 'Each check of SPEC §3 in order. The X-Postman-Sign header tells the collection script which part to spoil.', [
    ...[
      ['No token (511)', 'omit-token', 'Signed, but the token parameter is left out.', tests(511)],
      ['Unknown auth_key (512)', 'unknown-key', 'An auth_key that no app of sign.apps has.', tests(512)],
      ['No timestamp (400)', 'omit-timestamp', 'timestamp missing.', tests(400, fieldTest('timestamp'))],
      ['Stale timestamp (513)', 'stale-timestamp', 'Correctly signed with a timestamp a day old, outside sign.max_skew.', tests(513)],
      ['Wrong signature (514)', 'bad-token', 'Signed with another secret.', tests(514)],
    ].map(([name, sign, doc, test]) => item({ name, method: 'GET', path: '/blogapi/service/pubkey', sign, doc, test })),
    item({
      name: 'Wrong signature on a JSON body (514)', method: 'POST', path: '/blogapi/login', sign: 'bad-token',
      json: { account: '{{account}}', password: '{{newPassword}}' },
      doc: 'The same for the signing members of a JSON body.', test: tests(514),
    }),
  ]),

  folder('Admin', 'The admin API (docs/admin.md), as the admin the command line created ({{adminAccount}}: see serverAdmin in build.mjs). Admin requests carry {{adminToken}}; the caller\'s type is read from the database on every request.', [
    item({
      name: 'Login as the admin', method: 'POST', path: '/blogapi/login',
      json: { account: '{{adminAccount}}', password: '{{adminPassword}}' },
      doc: 'The admin created by `blogapi admin create` logs in like anyone.',
      test: tests(200, `var d = pm.response.json().data;
pm.test('an admin', function () { pm.expect(d.user.type).to.equal('admin'); });
pm.environment.set('adminToken', d.token);
pm.environment.set('adminId', d.user.id);`),
    }),
    item({
      name: 'Admin route without a token (401)', method: 'GET', path: '/blogapi/admin/users',
      headers: [['access-token', '{{token}}', true]], doc: 'No session: 401.', test: tests(401),
    }),
    item({
      name: 'Find the user (admin)', method: 'GET', path: '/blogapi/admin/users',
      query: [['q', '{{account}}'], ['sort', 'created'], ['pageSize', '10']], headers: [['access-token', '{{adminToken}}']],
      doc: 'Filters: status, type, level, q (account, nick or email), emailVerified, from/to, deleted; sort created or lastLogin; order.',
      test: tests(200, `var p = pm.response.json().data;
pm.test('one user found', function () {
  pm.expect(p.total).to.equal(1);
  pm.expect(p.items[0].account).to.equal(pm.environment.get('account'));
  pm.expect(pm.response.headers.get('Cache-Control')).to.equal('private, no-store');
});
pm.environment.set('userId', p.items[0].id);`),
    }),
    item({
      name: 'Unknown status filter (400)', method: 'GET', path: '/blogapi/admin/users', query: [['status', 'banned']],
      headers: [['access-token', '{{adminToken}}']], doc: 'Filters take values from fixed sets.', test: tests(400, fieldTest('status')),
    }),
    item({
      name: "A user's detail (admin)", method: 'GET', path: '/blogapi/admin/users/{{userId}}',
      headers: [['access-token', '{{adminToken}}']], doc: 'The user without secrets, their sessions and failed logins.',
      test: tests(200, `var d = pm.response.json().data;
pm.test('detail', function () {
  pm.expect(d.user.id).to.equal(pm.environment.get('userId'));
  pm.expect(d.sessions).to.be.an('array').and.not.empty;
  pm.expect(d.user).to.not.have.property('passwordHash');
});`),
    }),
    item({
      name: 'Set the level (admin)', method: 'PUT', path: '/blogapi/admin/users/{{userId}}/level',
      json: { level: '3' }, headers: [['access-token', '{{adminToken}}']], doc: 'level 0 to 10, as text (every member is a string).',
      test: tests(200, `pm.test('level 3', function () { pm.expect(pm.response.json().data.level).to.equal(3); });`),
    }),
    item({
      name: 'Login as the user', method: 'POST', path: '/blogapi/login',
      json: { account: '{{account}}', password: '{{newPassword}}' }, doc: 'A session of the user, kept as {{userToken}}.',
      test: tests(200, `pm.environment.set('userToken', pm.response.json().data.token);`),
    }),
    item({
      name: 'Admin route as a client (403)', method: 'GET', path: '/blogapi/admin/users',
      headers: [['access-token', '{{userToken}}']], doc: 'Anyone but an active admin: 403.', test: tests(403),
    }),
    item({
      name: 'Freeze with a reason (admin)', method: 'PUT', path: '/blogapi/admin/users/{{userId}}/status',
      json: { status: 'freeze', reason: 'spam links' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'reject and freeze need a reason and end every session of the user at once.',
      test: tests(200, `pm.test('frozen', function () { pm.expect(pm.response.json().data.statusReason).to.equal('spam links'); });`),
    }),
    item({
      name: "The frozen user's session has ended (401)", method: 'GET', path: '/blogapi/user/center',
      headers: [['access-token', '{{userToken}}']], doc: 'Frozen: the sessions ended with the change.', test: tests(401),
    }),
    item({
      name: 'Unfreeze (admin)', method: 'PUT', path: '/blogapi/admin/users/{{userId}}/status',
      form: [['status', 'normal']], headers: [['access-token', '{{adminToken}}']], doc: 'A form body works too.', test: tests(200),
    }),
    item({
      name: 'Set the type with a wrong password (401)', method: 'PUT', path: '/blogapi/admin/users/{{userId}}/type',
      json: { type: 'author', password: '00000000000000000000000000000000' }, headers: [['access-token', '{{adminToken}}']],
      doc: "A sensitive action: the admin's own current password (md5 hex), checked like a login.", test: tests(401, fieldTest('password')),
    }),
    item({
      name: 'Set the type (admin)', method: 'PUT', path: '/blogapi/admin/users/{{userId}}/type',
      json: { type: 'author', password: '{{adminPassword}}' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'client, author or admin.',
      test: tests(200, `pm.test('author', function () { pm.expect(pm.response.json().data.type).to.equal('author'); });`),
    }),
    item({
      name: 'Demote the last admin (409)', method: 'PUT', path: '/blogapi/admin/users/{{adminId}}/type',
      json: { type: 'client', password: '{{adminPassword}}' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'The last active admin cannot be demoted, frozen or deleted.', test: tests(409),
    }),
    item({
      name: 'End the sessions (admin)', method: 'DELETE', path: '/blogapi/admin/users/{{userId}}/sessions',
      headers: [['access-token', '{{adminToken}}']], doc: 'Every live session of the user ends.',
      test: tests(200, `pm.test('a count', function () { pm.expect(pm.response.json().data.ended).to.be.a('number'); });`),
    }),
    item({
      name: 'Audit log of the user (admin)', method: 'GET', path: '/blogapi/admin/audit', query: [['target', '{{userId}}']],
      headers: [['access-token', '{{adminToken}}']], doc: 'Every admin action, newest first, with before and after.',
      test: tests(200, `var p = pm.response.json().data;
pm.test('the actions above', function () {
  pm.expect(p.items.map(function (e) { return e.action; })).to.deep.equal(
    ['user.sessions.end', 'user.type', 'user.status', 'user.status', 'user.level']);
  pm.expect(p.items[3].reason).to.equal('spam links');
});`),
    }),
    item({
      name: 'Dashboard (admin)', method: 'GET', path: '/blogapi/admin/dashboard',
      headers: [['access-token', '{{adminToken}}']], doc: 'Users by status and type; registrations and logins of the last 30 days, today last.',
      test: tests(200, `var d = pm.response.json().data;
pm.test('figures', function () {
  pm.expect(d.users.byType.admin).to.equal(1);
  pm.expect(d.days).to.have.length(30);
  pm.expect(d.days[29].logins).to.be.at.least(1);
});`),
    }),
    item({
      name: 'Admin: moderate a comment of an unknown article (404)', method: 'PUT', path: '/blogapi/admin/articles/:id/comments/:commentId/state',
      vars: [['id', '0123456789abcdef01234567'], ['commentId', '0123456789abcdef01234567']],
      json: { state: 'visible' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'state visible (approve), held, hidden, spam or deleted; the article\'s comment count follows. Recorded in the audit log.',
      test: tests(404),
    }),
    item({
      name: 'Every article (admin)', method: 'GET', path: '/blogapi/admin/articles',
      query: [['status', 'online'], ['pageSize', '10']], headers: [['access-token', '{{adminToken}}']],
      doc: 'Every article whatever its status (status online, draft, delete or private; author; category; q in the title), in the blog\'s page object.',
      test: tests(200, `pm.test('a page', function () { pm.expect(pm.response.json().data.pageSize).to.equal(10); });`),
    }),
    item({
      name: 'Admin: set the status of an unknown article (404)', method: 'PUT', path: '/blogapi/admin/articles/:id/status',
      vars: [['id', '0123456789abcdef01234567']], json: { status: 'delete' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'status online, draft or delete; online or draft restores a deleted article. Recorded in the audit log.',
      test: tests(404),
    }),
    item({
      name: 'Admin: mark an unknown article toped (404)', method: 'PUT', path: '/blogapi/admin/articles/:id/flags',
      vars: [['id', '0123456789abcdef01234567']], json: { toped: 'true', hotted: 'false' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'toped and hotted, each "true" or "false" (text); one left out is kept. Recorded in the audit log.',
      test: tests(404),
    }),
    item({
      name: 'Create a banner (admin)', method: 'POST', path: '/blogapi/admin/banners',
      json: { cover: 'https://img.example/banner.png', goUrl: 'https://example.com/', title: 'Welcome', summary: 'From Postman', index: '1' },
      headers: [['access-token', '{{adminToken}}']],
      doc: 'cover (required), goUrl, title, summary, index (text, smaller first), enabled (default true). Recorded in the audit log.',
      test: tests(200, `var b = pm.response.json().data;
pm.test('enabled', function () { pm.expect(b.enabled).to.equal(true); });
pm.environment.set('bannerId', b.id);`),
    }),
    item({
      name: 'Every banner (admin)', method: 'GET', path: '/blogapi/admin/banners', headers: [['access-token', '{{adminToken}}']],
      doc: 'Every banner, disabled ones too, by index.',
      test: tests(200, `pm.test('the new banner', function () {
  pm.expect(pm.response.json().data.map(function (b) { return b.id; })).to.include(pm.environment.get('bannerId'));
});`),
    }),
    item({
      name: 'Public banners', method: 'GET', path: '/blogapi/banner',
      doc: 'The enabled banners, by index: what the home page shows.',
      test: tests(200, `pm.test('the new banner', function () {
  pm.expect(pm.response.json().data.map(function (b) { return b.title; })).to.include('Welcome');
});`),
    }),
    item({
      name: 'Disable the banner (admin)', method: 'PUT', path: '/blogapi/admin/banners/{{bannerId}}',
      json: { enabled: 'false' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'The fields sent change; reorder with index, enable or disable with enabled.',
      test: tests(200, `pm.test('disabled', function () { pm.expect(pm.response.json().data.enabled).to.equal(false); });`),
    }),
    item({
      name: 'Delete the banner (admin)', method: 'DELETE', path: '/blogapi/admin/banners/{{bannerId}}',
      headers: [['access-token', '{{adminToken}}']], doc: 'Removes the banner; recorded in the audit log.', test: tests(200),
    }),
    // Taxonomy (docs/admin.md, "Taxonomy"): types, categories and tags.
    item({
      name: 'Create a type (admin)', method: 'POST', path: '/blogapi/admin/types',
      json: { identify: 'pm{{$timestamp}}', name: 'PM {{$timestamp}}' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'identify (1-32 letters, digits, - or _: what articles store), name (1-20 characters, unique), index (text, 0-9999; default last). Recorded as type.create.',
      test: tests(200, `var t = pm.response.json().data;
pm.test('last in order', function () { pm.expect(t.index).to.be.at.least(1); pm.expect(t.articles).to.equal(0); });
pm.environment.set('typeId', t.identify);`),
    }),
    item({
      name: 'Every type (admin)', method: 'GET', path: '/blogapi/admin/types', headers: [['access-token', '{{adminToken}}']],
      doc: 'Every type in the public order, with articles: how many articles name it (deleted ones too).',
      test: tests(200, `pm.test('the new type', function () {
  pm.expect(pm.response.json().data.map(function (t) { return t.identify; })).to.include(pm.environment.get('typeId'));
});`),
    }),
    item({
      name: 'Move the type first (admin)', method: 'PUT', path: '/blogapi/admin/types/{{typeId}}',
      json: { index: '0', name: 'PM first' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'name renames (articles store the identify: they show the new name at once), index reorders GET /blogapi/select/types. Recorded as type.rename or type.reorder.',
      test: tests(200, `pm.test('renamed', function () { pm.expect(pm.response.json().data.name).to.equal('PM first'); });`),
    }),
    item({
      name: 'Delete a type into itself (400)', method: 'DELETE', path: '/blogapi/admin/types/{{typeId}}',
      query: [['replacement', '{{typeId}}']], headers: [['access-token', '{{adminToken}}']],
      doc: 'The replacement must be another type. A type or category that articles still name is deleted only with a replacement (409 without).',
      test: tests(400, fieldTest('replacement')),
    }),
    item({
      name: 'Delete the type (admin)', method: 'DELETE', path: '/blogapi/admin/types/{{typeId}}',
      query: [['replacement', 'original']], headers: [['access-token', '{{adminToken}}']],
      doc: 'replacement: the type its articles move to (each by _id, version + 1); the old identify then forwards to it. Recorded as type.delete.',
      test: tests(200, `pm.test('moved none', function () { pm.expect(pm.response.json().data.moved).to.equal(0); });`),
    }),
    item({
      name: 'Create a category (admin)', method: 'POST', path: '/blogapi/admin/categories',
      json: { name: 'pm-{{$timestamp}}', index: '50' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'name (1-32 characters, trimmed, no / or \\), index (text, 0-9999; default last). Recorded as category.create.',
      test: tests(200, `pm.environment.set('categoryName', pm.response.json().data.name);`),
    }),
    item({
      name: 'Every category (admin)', method: 'GET', path: '/blogapi/admin/categories', headers: [['access-token', '{{adminToken}}']],
      doc: 'Every category in the public order, with articles (every article naming it) and count (its public ones).',
      test: tests(200, `pm.test('the new category', function () {
  pm.expect(pm.response.json().data.map(function (c) { return c.name; })).to.include(pm.environment.get('categoryName'));
});`),
    }),
    item({
      name: 'Rename the category (admin)', method: 'PUT', path: '/blogapi/admin/categories/{{categoryName}}',
      json: { name: '{{categoryName}}-b' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'Every article naming the old name moves to the new one (moved: how many); repeating the rename completes a half-done one. index reorders. Recorded as category.rename.',
      test: tests(200, `var c = pm.response.json().data;
pm.test('renamed', function () { pm.expect(c.name).to.equal(pm.environment.get('categoryName') + '-b'); pm.expect(c.moved).to.equal(0); });
pm.environment.set('categoryName', c.name);`),
    }),
    item({
      name: 'Delete the category (admin)', method: 'DELETE', path: '/blogapi/admin/categories/{{categoryName}}',
      headers: [['access-token', '{{adminToken}}']],
      doc: 'Without a replacement only when no article names it (else 409); with replacement=NAME its articles move there. Recorded as category.delete.',
      test: tests(200),
    }),
    item({
      name: 'Delete an unknown category (404)', method: 'DELETE', path: '/blogapi/admin/categories/{{categoryName}}',
      headers: [['access-token', '{{adminToken}}']], doc: 'The same deletion again: no such category.', test: tests(404),
    }),
    item({
      name: 'Create a category with a bad name (400)', method: 'POST', path: '/blogapi/admin/categories',
      json: { name: 'a/b' }, headers: [['access-token', '{{adminToken}}']], doc: 'Names travel in paths: no / or \\.',
      test: tests(400, fieldTest('name')),
    }),
    item({
      name: 'Create a tag (admin)', method: 'POST', path: '/blogapi/admin/tags',
      json: { name: 'pm-{{$timestamp}}' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'name (1-20 characters, as at publishing). Tags are also created by publishing. Recorded as tag.create.',
      test: tests(200, `pm.environment.set('tagName', pm.response.json().data.name);`),
    }),
    item({
      name: 'Every tag (admin)', method: 'GET', path: '/blogapi/admin/tags', headers: [['access-token', '{{adminToken}}']],
      doc: 'Every tag, oldest first, with articles: how many articles have it.',
      test: tests(200, `pm.test('the new tag', function () {
  pm.expect(pm.response.json().data.map(function (t) { return t.name; })).to.include(pm.environment.get('tagName'));
});`),
    }),
    item({
      name: 'Rename the tag (admin)', method: 'PUT', path: '/blogapi/admin/tags/{{tagName}}',
      json: { name: '{{tagName}}-b' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'Every article with the tag gets the new name instead. Recorded as tag.rename.',
      test: tests(200, `pm.environment.set('tagName', pm.response.json().data.name);`),
    }),
    item({
      name: 'Delete the tag (admin)', method: 'DELETE', path: '/blogapi/admin/tags/{{tagName}}',
      headers: [['access-token', '{{adminToken}}']], doc: 'Removes the tag from every article that has it. Recorded as tag.delete.',
      test: tests(200),
    }),
    // Comment moderation (docs/admin.md, "Comments").
    item({
      name: 'Publish an article to comment on (admin)', method: 'POST', path: '/blogapi/article/section',
      json: { title: 'Moderated from Postman', content: '<p>Comment here</p>', type: 'original', category: '默认', tags: ['postman'], status: 'online' },
      headers: [['access-token', '{{adminToken}}']], doc: 'An admin publishes like an author.',
      test: tests(200, `pm.environment.set('adminArticleId', pm.response.json().data.id);`),
    }),
    item({
      name: 'Login as the user again', method: 'POST', path: '/blogapi/login',
      json: { account: '{{account}}', password: '{{newPassword}}' }, doc: 'A fresh session of the user (the earlier ones ended).',
      test: tests(200, `pm.environment.set('userToken', pm.response.json().data.token);`),
    }),
    item({
      name: "The user's first comment waits (held)", method: 'POST', path: '/blogapi/action/{{adminArticleId}}/comment',
      json: { content: 'A first comment from Postman', targetId: '', replyUser: '' }, headers: [['access-token', '{{userToken}}']],
      doc: 'Under moderation first a user\'s comments wait until one of theirs was approved.',
      test: tests(200, `var c = pm.response.json().data;
pm.test('held', function () { pm.expect(c.state).to.equal('held'); });
pm.environment.set('commentId', c.id);`),
    }),
    item({
      name: 'Pending comments (admin)', method: 'GET', path: '/blogapi/admin/comments',
      query: [['state', 'pending'], ['article', '{{adminArticleId}}'], ['pageSize', '10']], headers: [['access-token', '{{adminToken}}']],
      doc: 'The comments of every article, newest first: state pending, approved, hidden, spam or deleted; article; user; q (text or nick); from/to (ms).',
      test: tests(200, `var p = pm.response.json().data;
pm.test('the held comment, with its article', function () {
  pm.expect(p.items[0].id).to.equal(pm.environment.get('commentId'));
  pm.expect(p.items[0].article.title).to.equal('Moderated from Postman');
  pm.expect(p.items[0].state).to.equal('held');
});
pm.environment.set('commentRef', p.items[0].ref);`),
    }),
    item({
      name: 'Unknown comment state filter (400)', method: 'GET', path: '/blogapi/admin/comments', query: [['state', 'approve']],
      headers: [['access-token', '{{adminToken}}']], doc: 'Filters take values from fixed sets.', test: tests(400, fieldTest('state')),
    }),
    item({
      name: 'Approve the comment (admin)', method: 'POST', path: '/blogapi/admin/comments/:articleId/:commentId/:action',
      vars: [['articleId', '{{adminArticleId}}'], ['commentId', '{{commentId}}'], ['action', 'approve']],
      headers: [['access-token', '{{adminToken}}']], doc: 'approve, hide, spam or delete one comment; the article\'s review follows. Recorded in the audit log.',
      test: tests(200, `pm.test('visible', function () { pm.expect(pm.response.json().data.state).to.equal('visible'); });`),
    }),
    item({
      name: 'The approved comment is public', method: 'GET', path: '/blogapi/action/{{adminArticleId}}/comments',
      doc: 'The public thread shows it now.',
      test: tests(200, `pm.test('shown', function () {
  pm.expect(pm.response.json().data.map(function (c) { return c.id; })).to.include(pm.environment.get('commentId'));
});`),
    }),
    item({
      name: 'Bulk action with a wrong password (401)', method: 'POST', path: '/blogapi/admin/comments/bulk',
      json: { action: 'hide', ids: ['{{commentRef}}'], password: '00000000000000000000000000000000' }, headers: [['access-token', '{{adminToken}}']],
      doc: "A sensitive action: the admin's own current password (md5 hex), checked like a login; nothing is applied.", test: tests(401, fieldTest('password')),
    }),
    item({
      name: 'Bulk hide with a bad id (admin)', method: 'POST', path: '/blogapi/admin/comments/bulk',
      json: { action: 'hide', ids: ['{{commentRef}}', 'not-a-ref'], password: '{{adminPassword}}' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'ids are <article>/<comment> (1 to 100); each is applied on its own and reported as {id, ok, changed, code, msg}.',
      test: tests(200, `var d = pm.response.json().data;
pm.test('the good id applied, the bad one refused', function () {
  pm.expect(d.changed).to.equal(1);
  pm.expect(d.results[0].ok).to.equal(true);
  pm.expect(d.results[1].ok).to.equal(false);
  pm.expect(d.results[1].code).to.equal(400);
});`),
    }),
    item({
      name: 'Ban the user from commenting (admin)', method: 'PUT', path: '/blogapi/admin/users/{{userId}}/comment-ban',
      json: { banned: true, hideExisting: true, reason: 'Postman test' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'banned true or false; hideExisting hides their visible and held comments too; reason is kept. Recorded in the audit log.',
      test: tests(200, `pm.test('banned', function () { pm.expect(pm.response.json().data.user.commentBanned).to.equal(true); });`),
    }),
    item({
      name: 'Comment as a banned user (403)', method: 'POST', path: '/blogapi/action/{{adminArticleId}}/comment',
      json: { content: 'Still here', targetId: '', replyUser: '' }, headers: [['access-token', '{{userToken}}']],
      doc: 'A banned user\'s new comments are refused.', test: tests(403),
    }),
    item({
      name: 'Lift the comment ban (admin)', method: 'PUT', path: '/blogapi/admin/users/{{userId}}/comment-ban',
      form: [['banned', 'false']], headers: [['access-token', '{{adminToken}}']], doc: 'A form body works too; hidden comments stay hidden.',
      test: tests(200, `pm.test('not banned', function () { pm.expect(pm.response.json().data.user.commentBanned).to.equal(false); });`),
    }),
    item({
      name: 'Delete the user (admin)', method: 'POST', path: '/blogapi/admin/users/{{userId}}/delete',
      json: { password: '{{adminPassword}}' }, headers: [['access-token', '{{adminToken}}']],
      doc: 'Soft deletion: no more logins; the name and email are released after 30 days.',
      test: tests(200, `pm.test('deleted', function () { pm.expect(pm.response.json().data.deletedAt).to.be.above(0); });`),
    }),
    item({
      name: 'Login as the deleted user (401)', method: 'POST', path: '/blogapi/login',
      json: { account: '{{account}}', password: '{{newPassword}}' }, doc: 'A deleted account answers like a wrong password.',
      test: tests(401),
    }),
  ]),
];

// Runs after every request: every JSON answer is the envelope (SPEC §2).
const envelopeTest = lines(`if (/application\\/json/.test(pm.response.headers.get('Content-Type') || '')) {
  pm.test('envelope {code, msg}', function () {
    var body = pm.response.json();
    pm.expect(body.code).to.be.a('number');
    pm.expect(body.msg).to.be.a('string').and.not.empty;
    if (body.code === 200) pm.expect(body).to.have.property('data');
  });
}`);

/** The collection as a plain object. */
export function buildCollection() {
  const script = readFileSync(join(here, 'src', 'prerequest.js'), 'utf8');
  return {
    info: {
      name: 'blogapi',
      description: 'Every route of the blogapi server. The collection pre-request script signs each request (SPEC §3: auth_key, a millisecond timestamp and the md5 token) with {{authKey}} and {{authSecret}} and sends {{token}} as the access-token header. Import blogapi.postman_environment.json with it. Generated by clients/postman/build.mjs: edit there.',
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    event: [
      { listen: 'prerequest', script: { type: 'text/javascript', exec: lines(script) } },
      { listen: 'test', script: { type: 'text/javascript', exec: envelopeTest } },
    ],
    item: folders,
  };
}

/** The collection file's text. */
export const collectionText = () => JSON.stringify(buildCollection(), null, 2) + '\n';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    if (readFileSync(collectionPath, 'utf8') !== collectionText()) {
      console.error(`${collectionPath} is out of date: run node build.mjs`);
      process.exit(1);
    }
  } else {
    writeFileSync(collectionPath, collectionText());
  }
}
