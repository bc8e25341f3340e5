// The blogapi client: one method per route, every request signed (SPEC §3),
// the access token attached and renewed (SPEC §4), every envelope other than
// code 200 thrown as an ApiError (SPEC §2). Plain ES module: it runs in node
// (≥ 20.19) and, unbundled, in a browser.
import { md5Hex, requestParams, sign } from './sign.js';

/**
 * An answer whose envelope code is not 200 (SPEC §2), or an answer that is
 * no envelope at all (then `code` is the HTTP status and `msg` says so).
 */
export class ApiError extends Error {
  /**
   * @param {object} init
   * @param {number} init.code the envelope code (SPEC §2: 201 replay, 400,
   *   401, 402 token expired, 403, 404, 405, 409, 413, 429, 500, 503,
   *   511–514 signature, 520–521 JWT).
   * @param {string} init.msg the envelope's human-readable message.
   * @param {{field: string, msg: string, reason?: string}[]} [init.errors]
   *   field-level details; reason (Reasons) marks a refusal to act on.
   * @param {number} init.status the HTTP status (equal to code unless the
   *   server runs with response.http_status: standard).
   * @param {string | null} [init.requestId] the X-Request-Id of the answer,
   *   to find it in the server's log.
   * @param {number | null} [init.retryAfter] seconds from Retry-After (429).
   */
  constructor({ code, msg, errors = [], status, requestId = null, retryAfter = null }) {
    super(`${code} ${msg}`);
    this.name = 'ApiError';
    this.code = code;
    this.msg = msg;
    this.errors = errors;
    this.status = status;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }

  /**
   * Whether the server wants a captcha with this login (400 "captcha
   * required" after repeated failures, errors[].reason captcha_required):
   * fetch one with captcha(), show it, and call login again with captcha
   * and captchaId.
   */
  get captchaRequired() {
    return this.errors.some((e) => e.reason === Reasons.CAPTCHA_REQUIRED);
  }
}

/** The errors[].reason values: refusals a client acts on (docs/openapi.yaml, FieldError). */
export const Reasons = Object.freeze({
  CAPTCHA_REQUIRED: 'captcha_required',
});

/** The envelope codes of SPEC §2, by name. */
export const Codes = Object.freeze({
  OK: 200,
  DUPLICATE: 201,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  TOKEN_EXPIRED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  BODY_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  SIGN_MISSING: 511,
  AUTH_KEY: 512,
  SIGN_EXPIRED: 513,
  SIGN_INVALID: 514,
  JWT_ISSUE: 520,
  JWT_INVALID: 521,
});

/**
 * A Storage (getItem/setItem/removeItem, like window.localStorage) that
 * keeps its items in memory: the default, so tokens last as long as the
 * client object.
 */
export class MemoryStorage {
  #items = new Map();
  /** @param {string} key @returns {string | null} */
  getItem(key) {
    return this.#items.has(key) ? this.#items.get(key) : null;
  }
  /** @param {string} key @param {string} value */
  setItem(key, value) {
    this.#items.set(key, String(value));
  }
  /** @param {string} key */
  removeItem(key) {
    this.#items.delete(key);
  }
}

/** Storage keys of the access and the refresh token. */
export const TOKEN_KEY = 'blogapi.token';
export const REFRESH_TOKEN_KEY = 'blogapi.refreshToken';
/** Name of the Web Lock held while renewing (navigator.locks). */
export const RENEWAL_LOCK = 'blogapi.renewal';

/**
 * The password as SPEC §5 has clients send it: md5 of the plaintext, 32
 * lowercase hex digits. The client's methods take plaintext and call this.
 * @param {string} plaintext
 * @returns {string}
 */
export function passwordDigest(plaintext) {
  return md5Hex(plaintext);
}

/**
 * Creates a client. See index.d.ts for every method's parameters and
 * answer.
 *
 * @param {object} opts
 * @param {string} opts.baseURL where the server is, e.g.
 *   "http://127.0.0.1:8080" (a path prefix is kept; no trailing slash needed).
 * @param {string} opts.authKey the app's auth_key (sign.apps).
 * @param {string} opts.authSecret the app's auth_secret. Shipped in a
 *   browser app it is public: it identifies an app build, never a user
 *   (SPEC §3).
 * @param {typeof fetch} [opts.fetch] the fetch to use (default globalThis.fetch).
 * @param {{getItem(k: string): string | null, setItem(k: string, v: string): void, removeItem(k: string): void}} [opts.storage]
 *   where the tokens live (default a MemoryStorage; pass localStorage or
 *   sessionStorage in a browser to keep them across reloads).
 * @param {() => number} [opts.now] the clock for `timestamp`, ms since the
 *   Unix epoch (default Date.now).
 */
export function createClient({ baseURL, authKey, authSecret, fetch: fetchImpl, storage, now = Date.now, locks }) {
  if (!baseURL) throw new TypeError('createClient: baseURL is required');
  if (!authKey || !authSecret) throw new TypeError('createClient: authKey and authSecret are required');
  const doFetch = fetchImpl ?? globalThis.fetch.bind(globalThis);
  const store = storage ?? new MemoryStorage();
  // Web Locks (navigator.locks) serialise renewals across the tabs that
  // share one localStorage: two tabs renewing with the same refresh token at
  // once would be refresh-token reuse, which ends the session (SPEC §4).
  const lockManager = locks === undefined ? globalThis.navigator?.locks : locks;
  const base = baseURL.replace(/\/+$/, '');

  const tokens = {
    get access() {
      return store.getItem(TOKEN_KEY);
    },
    get refresh() {
      return store.getItem(REFRESH_TOKEN_KEY);
    },
    /** @param {{token: string, refreshToken: string}} pair */
    save(pair) {
      store.setItem(TOKEN_KEY, pair.token);
      store.setItem(REFRESH_TOKEN_KEY, pair.refreshToken);
    },
    clear() {
      store.removeItem(TOKEN_KEY);
      store.removeItem(REFRESH_TOKEN_KEY);
    },
  };

  /**
   * Sends one request and opens its envelope.
   * @param {string} method
   * @param {string} path
   * @param {object} [o]
   * @param {Record<string, unknown>} [o.params] query parameters (GET) or
   *   JSON body members (other methods); undefined members are left out.
   * @param {boolean} [o.signed] add auth_key, timestamp and token (default true).
   * @param {string | null} [o.accessToken] sent as the access-token header.
   * @returns {Promise<{data: any, headers: Headers}>}
   */
  async function send(method, path, { params = {}, signed = true, accessToken = null } = {}) {
    const defined = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
    const query = new URLSearchParams();
    let body = null;
    const headers = { Accept: 'application/json' };
    if (method === 'GET') {
      for (const [k, v] of Object.entries(defined)) query.append(k, v === null ? '' : String(v));
    } else {
      body = JSON.stringify(defined);
      headers['Content-Type'] = 'application/json';
    }
    if (signed) {
      // The signature travels in the query string whatever the method, so
      // the body holds only the request's own members (a body member may
      // itself be called `token`, e.g. a reset token).
      query.append('auth_key', authKey);
      query.append('timestamp', timestamp());
      const token = sign(requestParams({ query, contentType: headers['Content-Type'], body }), authSecret);
      query.append('token', token);
    }
    if (accessToken) headers['access-token'] = accessToken;
    const qs = query.toString();
    const res = await doFetch(`${base}${path}${qs ? `?${qs}` : ''}`, { method, headers, body });
    return { data: await openEnvelope(res), headers: res.headers };
  }

  // Strictly increasing, so two identical requests from this client in the
  // same millisecond (a double click, a retry) sign differently instead of
  // the second being refused as a replay (201, SPEC §3).
  let lastTimestamp = 0;
  const timestamp = () => {
    lastTimestamp = Math.max(now(), lastTimestamp + 1);
    return String(lastTimestamp);
  };

  let renewing = null;

  /**
   * Renews the token pair once for every caller that saw a 402 with the
   * same access token: the first starts POST /service/renewal, the others
   * wait for it; a caller whose token was already replaced just retries.
   * With a lock manager the renewal holds the lock RENEWAL_LOCK, so clients
   * sharing the storage in other tabs renew one at a time, and a client
   * finding the pair already replaced does not renew again.
   * On failure the tokens are cleared and the renewal's error thrown.
   * @param {string | null} used the access token the failed call sent.
   * @param {ApiError} expired that call's 402.
   */
  async function renewAfterExpiry(used, expired) {
    const current = tokens.access;
    if (current && current !== used) return;
    if (!renewing) {
      const renew = async () => {
        // Another client on this storage (another tab) may have renewed
        // while this one waited for the lock.
        const stored = tokens.access;
        if (stored && stored !== used) return;
        const refreshToken = tokens.refresh;
        if (!refreshToken) {
          tokens.clear();
          throw expired;
        }
        try {
          await renewal(refreshToken);
        } catch (err) {
          tokens.clear();
          throw err;
        }
      };
      renewing = (lockManager ? lockManager.request(RENEWAL_LOCK, renew) : renew()).finally(() => {
        renewing = null;
      });
    }
    await renewing;
  }

  /**
   * Sends a request that needs the access token (SPEC §4). On 402 (token
   * expired) it renews the pair once (shared with concurrent calls) and
   * retries once with the new access token.
   */
  async function authed(method, path, params) {
    const used = tokens.access;
    try {
      return await send(method, path, { params, accessToken: used });
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== Codes.TOKEN_EXPIRED) throw err;
      await renewAfterExpiry(used, err);
      return await send(method, path, { params, accessToken: tokens.access });
    }
  }

  async function renewal(refreshToken = tokens.refresh) {
    const { data } = await send('POST', '/blogapi/service/renewal', { params: { refreshToken: refreshToken ?? '' } });
    tokens.save(data);
    return data;
  }

  const pw = (plaintext) => (plaintext === undefined ? undefined : passwordDigest(plaintext));

  /** POST /blogapi/admin/comments/:articleId/:commentId/:action (approve, hide, spam, delete). */
  async function commentAction(articleId, commentId, action) {
    const path = `/blogapi/admin/comments/${encodeURIComponent(articleId)}/${encodeURIComponent(commentId)}/${encodeURIComponent(action)}`;
    return (await authed('POST', path)).data;
  }

  return {
    /** The storage the tokens live in. */
    storage: store,
    /** The stored access token, or null. */
    get accessToken() {
      return tokens.access;
    },
    /** The stored refresh token, or null. */
    get refreshToken() {
      return tokens.refresh;
    },
    /** Forgets both tokens (no request: see logout to end the session). */
    clearTokens: () => tokens.clear(),

    health: async () => (await send('GET', '/healthz', { signed: false })).data,
    ready: async () => (await send('GET', '/readyz', { signed: false })).data,
    /** GET /metrics (unsigned): Prometheus text; 404 ApiError when metrics are off or on metrics.addr. */
    async metrics() {
      const res = await doFetch(`${base}/metrics`, { headers: { Accept: 'text/plain' } });
      if (res.ok) return await res.text();
      return await openEnvelope(res);
    },
    /** GET /openapi.yaml (unsigned): the API description, YAML text; an envelope error is thrown as ApiError. */
    async openAPI() {
      const res = await doFetch(`${base}/openapi.yaml`, { headers: { Accept: 'application/yaml' } });
      if (res.ok) return await res.text();
      return await openEnvelope(res);
    },

    async captcha({ width, height } = {}) {
      // format=json: the envelope (the default answer is the raw SVG).
      const { data, headers } = await send('GET', '/blogapi/service/captcha', { params: { width, height, format: 'json' } });
      const id = headers.get('X-Captcha-Id');
      // The server exposes it to CORS; a proxy that strips it leaves the
      // captcha unanswerable, so say so here rather than at registration.
      if (!id) throw new Error('the captcha answer has no readable X-Captcha-Id header (stripped, or not exposed to this origin by CORS)');
      return { id, svg: data };
    },
    renewal,
    publicKey: async () => (await send('GET', '/blogapi/service/pubkey')).data,
    checkUsername: async (account) => (await send('GET', '/blogapi/reg/check/username', { params: { account } })).data,

    async register({ account, password, email, nick, captcha, captchaId }) {
      const params = { account, password: pw(password), email, nick, captcha, captcha_id: captchaId };
      return (await send('POST', '/blogapi/reg', { params })).data;
    },
    async login({ account, password, captcha, captchaId }) {
      const params = { account, password: pw(password), captcha, captcha_id: captchaId };
      const { data } = await send('POST', '/blogapi/login', { params });
      tokens.save(data);
      return data;
    },
    async logout({ all = false } = {}) {
      await authed('POST', '/blogapi/logout', all ? { all: true } : {});
      tokens.clear();
    },
    userCenter: async () => (await authed('GET', '/blogapi/user/center')).data,
    async updateUser({ nick, email, avatar, summary, web, phone, password }) {
      return (await authed('PUT', '/blogapi/user/update', { nick, email, avatar, summary, web, phone, password: pw(password) })).data;
    },
    async changePassword({ oldPassword, password }) {
      const { data } = await authed('PUT', '/blogapi/user/reset', { oldPassword: pw(oldPassword), password: pw(password) });
      tokens.save(data);
      return data;
    },
    resendVerification: async () => (await authed('POST', '/blogapi/email/verify/resend')).data,
    verifyEmail: async (token) => (await send('GET', '/blogapi/email/verify', { params: { token }, signed: false })).data,
    async forgotPassword({ email, account, captcha, captchaId }) {
      const params = { email, account, captcha, captcha_id: captchaId };
      return (await send('POST', '/blogapi/password/forgot', { params })).data;
    },
    checkResetToken: async (token) =>
      (await send('GET', '/blogapi/password/reset/check', { params: { token }, signed: false })).data,
    async resetPassword({ token, password }) {
      return (await send('POST', '/blogapi/password/reset', { params: { resetToken: token, password: pw(password) } })).data;
    },

    // The blog (docs/blog.md). Public reads send the stored access token
    // when there is one (isPraise, one's own held comments); the server
    // ignores a stale one.
    articles: async ({ page, pageSize, category, tag } = {}) =>
      (await send('GET', '/blogapi/articles', { params: { page, pageSize, category, tag } })).data,
    recommended: async ({ page, pageSize } = {}) =>
      (await send('GET', '/blogapi/article/recommend', { params: { page, pageSize } })).data,
    hot: async () => (await send('GET', '/blogapi/article/hot')).data,
    search: async ({ keyword, tag, page, pageSize } = {}) =>
      (await send('GET', '/blogapi/article/search', { params: { keyword, tag, page, pageSize } })).data,
    drafts: async ({ page, pageSize } = {}) => (await authed('GET', '/blogapi/article/draft', { page, pageSize })).data,
    article: async (idOrSlug) =>
      (await send('GET', `/blogapi/article/detail/${encodeURIComponent(idOrSlug)}`, { accessToken: tokens.access })).data,
    publish: async (article) => (await authed('POST', '/blogapi/article/section', article)).data,
    editArticle: async (id, article) => (await authed('PUT', `/blogapi/article/section/${encodeURIComponent(id)}`, article)).data,
    deleteArticle: async (id) => (await authed('DELETE', `/blogapi/article/section/${encodeURIComponent(id)}`)).data,
    checkLike: async (id) =>
      (await send('GET', `/blogapi/action/checklike/${encodeURIComponent(id)}`, { accessToken: tokens.access })).data,
    like: async (id) => (await authed('POST', `/blogapi/action/${encodeURIComponent(id)}/like`)).data,
    unlike: async (id) => (await authed('DELETE', `/blogapi/action/${encodeURIComponent(id)}/like`)).data,
    comments: async (id) =>
      (await send('GET', `/blogapi/action/${encodeURIComponent(id)}/comments`, { accessToken: tokens.access })).data,
    moderateComment: async (id, commentId, state) =>
      (await authed('PUT', `/blogapi/action/${encodeURIComponent(id)}/comment/${encodeURIComponent(commentId)}`, { state })).data,
    async comment(id, { content, targetId = '', replyUser = '' }) {
      return (await authed('POST', `/blogapi/action/${encodeURIComponent(id)}/comment`, { content, targetId, replyUser })).data;
    },
    articleTypes: async () => (await send('GET', '/blogapi/select/types')).data,
    categories: async () => (await send('GET', '/blogapi/select/category')).data,
    tags: async () => (await send('GET', '/blogapi/select/tag')).data,
    banners: async () => (await send('GET', '/blogapi/banner')).data,
    author: async (id) => (await send('GET', `/blogapi/user/${encodeURIComponent(id)}/center`)).data,
    authorArticles: async (id, { page, pageSize } = {}) =>
      (await send('GET', `/blogapi/user/${encodeURIComponent(id)}/article`, { params: { page, pageSize } })).data,
    authorLikes: async (id, { page, pageSize } = {}) =>
      (await send('GET', `/blogapi/user/${encodeURIComponent(id)}/like`, { params: { page, pageSize } })).data,
    /** The admin API (docs/admin.md): every method is JWT and needs an active admin (403 otherwise). */
    admin: {
      users: async (filters = {}) => (await authed('GET', '/blogapi/admin/users', filters)).data,
      user: async (id) => (await authed('GET', adminUser(id))).data,
      setStatus: async (id, { status, reason }) => (await authed('PUT', adminUser(id, 'status'), { status, reason })).data,
      setLevel: async (id, level) => (await authed('PUT', adminUser(id, 'level'), { level: String(level) })).data,
      async setType(id, { type, password }) {
        return (await authed('PUT', adminUser(id, 'type'), { type, password: pw(password) })).data;
      },
      endSessions: async (id) => (await authed('DELETE', adminUser(id, 'sessions'))).data,
      deleteUser: async (id, { password }) => (await authed('POST', adminUser(id, 'delete'), { password: pw(password) })).data,
      audit: async (filters = {}) => (await authed('GET', '/blogapi/admin/audit', filters)).data,
      dashboard: async () => (await authed('GET', '/blogapi/admin/dashboard')).data,
      async moderateComment(articleId, commentId, state) {
        const path = `/blogapi/admin/articles/${encodeURIComponent(articleId)}/comments/${encodeURIComponent(commentId)}/state`;
        return (await authed('PUT', path, { state })).data;
      },
      articles: async (filters = {}) => (await authed('GET', '/blogapi/admin/articles', filters)).data,
      setArticleStatus: async (id, status) =>
        (await authed('PUT', `/blogapi/admin/articles/${encodeURIComponent(id)}/status`, { status })).data,
      async setArticleFlags(id, { toped, hotted } = {}) {
        const body = {};
        if (toped !== undefined) body.toped = String(Boolean(toped));
        if (hotted !== undefined) body.hotted = String(Boolean(hotted));
        return (await authed('PUT', `/blogapi/admin/articles/${encodeURIComponent(id)}/flags`, body)).data;
      },
      banners: async () => (await authed('GET', '/blogapi/admin/banners')).data,
      createBanner: async (banner) => (await authed('POST', '/blogapi/admin/banners', bannerBody(banner))).data,
      editBanner: async (id, banner) =>
        (await authed('PUT', `/blogapi/admin/banners/${encodeURIComponent(id)}`, bannerBody(banner))).data,
      deleteBanner: async (id) => (await authed('DELETE', `/blogapi/admin/banners/${encodeURIComponent(id)}`)).data,
      // Taxonomy (docs/admin.md, "Taxonomy"): types by identify, categories and tags by name.
      types: async () => (await authed('GET', '/blogapi/admin/types')).data,
      createType: async ({ identify, name, index }) =>
        (await authed('POST', '/blogapi/admin/types', taxonomyBody({ identify, name, index }))).data,
      editType: async (identify, { name, index } = {}) =>
        (await authed('PUT', taxonomyPath('types', identify), taxonomyBody({ name, index }))).data,
      deleteType: async (identify, { replacement } = {}) =>
        (await authed('DELETE', taxonomyPath('types', identify), taxonomyBody({ replacement }))).data,
      categories: async () => (await authed('GET', '/blogapi/admin/categories')).data,
      createCategory: async ({ name, index }) =>
        (await authed('POST', '/blogapi/admin/categories', taxonomyBody({ name, index }))).data,
      editCategory: async (name, { name: newName, index } = {}) =>
        (await authed('PUT', taxonomyPath('categories', name), taxonomyBody({ name: newName, index }))).data,
      deleteCategory: async (name, { replacement } = {}) =>
        (await authed('DELETE', taxonomyPath('categories', name), taxonomyBody({ replacement }))).data,
      tags: async () => (await authed('GET', '/blogapi/admin/tags')).data,
      createTag: async (name) => (await authed('POST', '/blogapi/admin/tags', { name: String(name) })).data,
      renameTag: async (name, newName) =>
        (await authed('PUT', taxonomyPath('tags', name), { name: String(newName) })).data,
      deleteTag: async (name) => (await authed('DELETE', taxonomyPath('tags', name))).data,
      // Comment moderation across articles (docs/admin.md, "Comments").
      comments: async (filters = {}) => (await authed('GET', '/blogapi/admin/comments', filters)).data,
      commentAction,
      approveComment: (articleId, commentId) => commentAction(articleId, commentId, 'approve'),
      hideComment: (articleId, commentId) => commentAction(articleId, commentId, 'hide'),
      spamComment: (articleId, commentId) => commentAction(articleId, commentId, 'spam'),
      deleteComment: (articleId, commentId) => commentAction(articleId, commentId, 'delete'),
      async bulkComments({ action, ids, password }) {
        return (await authed('POST', '/blogapi/admin/comments/bulk', { action, ids, password: pw(password) })).data;
      },
      async banCommenter(id, { banned, hideExisting, reason }) {
        return (await authed('PUT', adminUser(id, 'comment-ban'), { banned: Boolean(banned), hideExisting: hideExisting === undefined ? undefined : Boolean(hideExisting), reason })).data;
      },
    },
  };
}

/** The path of an admin taxonomy entry: /blogapi/admin/{types|categories|tags}/:key. */
function taxonomyPath(kind, key) {
  return `/blogapi/admin/${kind}/${encodeURIComponent(key)}`;
}

/** A taxonomy body as the API takes it: every member a string; absent ones left out. */
function taxonomyBody(fields) {
  const out = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined && v !== null) out[k] = String(v);
  }
  return out;
}

/** A banner's fields as the API takes them: every member a string; absent ones left out. */
function bannerBody(b = {}) {
  const out = {};
  for (const k of ['cover', 'goUrl', 'title', 'summary', 'index', 'enabled']) {
    if (b[k] !== undefined) out[k] = String(b[k]);
  }
  return out;
}

/** The path of an admin user route: /blogapi/admin/users/:id[/action]. */
function adminUser(id, action) {
  const path = `/blogapi/admin/users/${encodeURIComponent(id)}`;
  return action ? `${path}/${action}` : path;
}

/**
 * Reads the envelope of res: its data when code is 200, else an ApiError.
 * @param {Response} res
 * @returns {Promise<any>}
 */
async function openEnvelope(res) {
  const text = await res.text();
  let env;
  try {
    env = JSON.parse(text);
  } catch {
    env = null;
  }
  const header = (name) => res.headers.get(name);
  if (!env || typeof env !== 'object' || typeof env.code !== 'number') {
    throw new ApiError({
      code: res.status,
      msg: `the server answered HTTP ${res.status} without an envelope`,
      status: res.status,
      requestId: header('X-Request-Id'),
    });
  }
  if (env.code !== Codes.OK) {
    const retry = header('Retry-After');
    throw new ApiError({
      code: env.code,
      msg: String(env.msg ?? ''),
      errors: Array.isArray(env.errors) ? env.errors : [],
      status: res.status,
      requestId: header('X-Request-Id'),
      retryAfter: retry === null ? null : Number(retry),
    });
  }
  return env.data ?? null;
}
