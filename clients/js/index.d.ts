// Types of the blogapi JS client (src/index.js). Shapes follow the server's
// JSON answers (README "Routes", SPEC §2–§7).

/** A request parameter: its name and its value as the server renders it (SPEC §3). */
export type SignParam = [name: string, value: string];

/**
 * The signature `token` (SPEC §3): md5 of the canonical string, 32 lowercase
 * hex digits. `params` are [name, value] pairs in order of appearance (query
 * before body), or an object whose values render as strings as they are,
 * null as "", anything else as its JSON text.
 */
export function sign(params: SignParam[] | Record<string, unknown>, authSecret: string): string;
/** The canonical string of SPEC §3 (values sorted by name, then the secret). */
export function canonicalString(params: SignParam[] | Record<string, unknown>, authSecret: string): string;
/** Every signed parameter of a request: query pairs, then form or JSON body members. Throws SyntaxError/TypeError for a JSON body the server refuses. */
export function requestParams(req: { query?: string | URLSearchParams; contentType?: string | null; body?: string | null }): SignParam[];
/** The decoded pairs of a query string or urlencoded form body. */
export function formParams(text: string | URLSearchParams): SignParam[];
/** The top-level members of a JSON object body, rendered as SPEC §3 says. Throws SyntaxError (not JSON) or TypeError (not an object, duplicate member). */
export function jsonParams(text: string): SignParam[];
/** md5 of the UTF-8 bytes of text, 32 lowercase hex digits. */
export function md5Hex(text: string): string;
/** md5(plaintext) in hex: the `password` clients send (SPEC §5). */
export function passwordDigest(plaintext: string): string;

/** Storage keys of the tokens. */
export const TOKEN_KEY: 'blogapi.token';
export const REFRESH_TOKEN_KEY: 'blogapi.refreshToken';
/** Name of the Web Lock held while renewing. */
export const RENEWAL_LOCK: 'blogapi.renewal';

/** Envelope codes (SPEC §2). */
export const Codes: Readonly<{
  OK: 200; DUPLICATE: 201; BAD_REQUEST: 400; UNAUTHORIZED: 401; TOKEN_EXPIRED: 402; FORBIDDEN: 403;
  NOT_FOUND: 404; METHOD_NOT_ALLOWED: 405; CONFLICT: 409; BODY_TOO_LARGE: 413; TOO_MANY_REQUESTS: 429;
  INTERNAL: 500; UNAVAILABLE: 503; SIGN_MISSING: 511; AUTH_KEY: 512;
  SIGN_EXPIRED: 513; SIGN_INVALID: 514; JWT_ISSUE: 520; JWT_INVALID: 521;
}>;

/** A field-level detail of a failed request. */
export interface FieldError {
  field: string;
  msg: string;
  /** Set on a refusal to act on: see Reasons. */
  reason?: string;
}

/** The errors[].reason values (docs/openapi.yaml, FieldError). */
export const Reasons: Readonly<{
  /** Login needs a captcha: fetch one, show it, log in again with captcha and captchaId. */
  CAPTCHA_REQUIRED: 'captcha_required';
}>;

/**
 * Thrown for every envelope whose code is not 200, and for an answer that is
 * no envelope (then code is the HTTP status). Network failures are not
 * ApiErrors: fetch's own error propagates.
 */
export class ApiError extends Error {
  constructor(init: { code: number; msg: string; errors?: FieldError[]; status: number; requestId?: string | null; retryAfter?: number | null });
  readonly name: 'ApiError';
  /** Envelope code (SPEC §2). */
  code: number;
  /** Human-readable message from the server. */
  msg: string;
  /** Field-level details ([] when none). */
  errors: FieldError[];
  /** HTTP status (equals code unless response.http_status is standard). */
  status: number;
  /** X-Request-Id of the answer, or null. */
  requestId: string | null;
  /** Seconds to wait (Retry-After, with 429), or null. */
  retryAfter: number | null;
  /** Login answered "captcha required" (errors[].reason captcha_required): send a captcha with the next login. */
  readonly captchaRequired: boolean;
}

/** localStorage-shaped token storage. */
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** In-memory TokenStorage, the default. */
export class MemoryStorage implements TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** A user as the server shows it to its owner (SPEC §5). */
export interface User {
  /** hex ObjectID */
  id: string;
  account: string;
  email: string;
  emailVerified: boolean;
  status: 'pending' | 'normal' | 'reject' | 'freeze';
  nick: string;
  avatar: string;
  /** avatar again, under the blog SPA's name */
  cover: string;
  summary: string;
  web: string;
  phone: string;
  /** ms since the Unix epoch */
  created: number;
  type: 'client' | 'author' | 'admin';
  level: number;
  /** ms since the Unix epoch, 0 before the first login */
  lastLoginAt: number;
  /** lastLoginAt again, under the blog SPA's name */
  lastLogin: number;
}

/** Login, renewal and password change answer (SPEC §4). */
export interface LoginResult {
  /** access JWT, for the access-token header */
  token: string;
  refreshToken: string;
  /** access token lifetime in seconds */
  expiresIn: number;
  user: User;
  /** user again, under the blog SPA's name */
  userInfo: User;
}

/** The author as an article shows them. */
export interface ArticleAuthor { id: string; nick: string; cover: string; type: string; level: number; is_root: boolean }
export interface ArticleSEO { title: string; keywords: string; description: string }

/** An article in a list (the original's snake_case names, plus id); times in ms. */
export interface ArticleItem {
  _id: string; id: string; slug: string; title: string; summary: string; cover: string; type: string; type_url: string;
  category: string; tags: string[]; is_private: boolean; status: 'draft' | 'online' | 'delete'; seo: ArticleSEO;
  user_info: ArticleAuthor; read: number; praise: number; review: number; last_revise: number; created: number;
  published_at: number; toped: boolean; hotted: boolean;
}

/** The original's page object. */
export interface ArticlePage {
  items: ArticleItem[]; total: number; pageSize: number; hasPrevPage: boolean; hasNextPage: boolean;
  currentPage: number; pageCount: number; pagingCounter: number; prev: number | null; next: number | null;
}

/** An article as its page reads it; content is sanitised HTML. */
export interface ArticleDetail {
  id: string; slug: string; title: string; isPrivate: boolean; content: string; summary: string; type: string;
  typeUrl: string; category: string; tags: string[]; cover: string; seo: ArticleSEO; userInfo: ArticleAuthor;
  read: number; praise: number; review: number; lastRevise: number; created: number; publishedAt: number;
  hotted: boolean; toped: boolean; status: 'draft' | 'online' | 'delete'; isPraise: boolean; version: number;
}

/** The publish and edit body. */
export interface ArticleInput {
  title: string; content: string; format?: 'html' | 'markdown'; type: string; typeUrl?: string; category: string;
  tags?: string[]; cover?: string; summary?: string; status?: 'draft' | 'online'; isPrivate?: boolean;
  seo?: Partial<ArticleSEO>; publishedAt?: number; version?: number;
}

/** A comment: status "1" root, "0" reply; state the moderation state. */
export interface Comment {
  id: string; targetId: string; userId: string; nick: string; author: boolean; cover: string; level: number;
  type: string; isRoot: boolean; parentId: string; parentNick: string; parentAuthor: boolean; content: string;
  status: '0' | '1'; state: 'visible' | 'held' | 'hidden' | 'spam' | 'deleted'; created: number;
}
export interface CommentNode extends Comment { sub: Comment[] }

/** A public profile: no e-mail, phone, status or last login. */
export interface PublicProfile {
  id: string; nick: string; cover: string; avatar: string; summary: string; web: string; type: string;
  created: number; level: number; articleCount: number; likeCount: number;
}

export interface Captcha {
  /** from the X-Captcha-Id header; send it back as captchaId */
  id: string;
  /** the SVG document (vector paths, no text) */
  svg: string;
}

/** A user as an admin sees it (docs/admin.md): everything but secrets. */
export interface AdminUser extends User {
  /** why an admin set the status (shown to the user on login) */
  statusReason: string;
  /** ms; 0 when not deleted */
  deletedAt: number;
  /** ms when the deleted account's name and email were released; 0 before */
  releasedAt: number;
  /** banned from commenting (AdminClient.banCommenter), and why */
  commentBanned: boolean;
  commentBanReason: string;
}

/** A stored moderation state: held is the filter's pending, visible its approved. */
export type CommentState = 'visible' | 'held' | 'hidden' | 'spam' | 'deleted';

/** A comment in the admin's list (docs/admin.md, "Comments"). */
export interface AdminComment {
  /** `<article>/<comment>`: the id bulkComments takes */
  ref: string;
  id: string;
  /** the article it belongs to; title '' when the article is gone */
  article: { id: string; title: string };
  targetId: string; userId: string; nick: string; cover: string; type: string; level: number; author: boolean;
  parentId: string; parentNick: string; content: string;
  state: CommentState;
  /** ms */
  created: number;
}

export interface AdminCommentFilters {
  state?: 'pending' | 'approved' | 'hidden' | 'spam' | 'deleted' | 'held' | 'visible';
  /** article id */
  article?: string;
  /** user id */
  user?: string;
  /** the text or the nick contains (literal, any case), at most 64 characters */
  q?: string;
  /** written at or after / before, ms */
  from?: number;
  to?: number;
  page?: number;
  /** 1–100, default 15 */
  pageSize?: number;
}

export type CommentAction = 'approve' | 'hide' | 'spam' | 'delete';

/** What a bulk action did to one id: code and msg as an envelope's (200 when ok). */
export interface BulkResult {
  id: string;
  ok: boolean;
  /** false when the comment was already in the state */
  changed: boolean;
  code: number;
  msg: string;
}

/** The blog's page object. */
export interface Page<T> {
  items: T[];
  total: number;
  pageSize: number;
  hasPrevPage: boolean;
  hasNextPage: boolean;
  currentPage: number;
  pageCount: number;
  pagingCounter: number;
  prev: number | null;
  next: number | null;
}

export interface AdminSession {
  id: string;
  /** the User-Agent of the login */
  device: string;
  ip: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  alive: boolean;
  /** 0 while alive */
  endedAt: number;
  endReason: string;
}

export interface AuditEntry {
  id: string;
  /** ms */
  at: number;
  /** the admin's user id ("" for the command line) */
  who: string;
  whoAccount: string;
  action: string;
  targetType: string;
  target: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  reason: string;
  requestId: string;
  ip: string;
}

export interface AdminUserFilters {
  status?: User['status'];
  type?: User['type'];
  level?: number;
  /** account, nick or email contains (any case), at most 64 characters */
  q?: string;
  emailVerified?: boolean;
  /** registered at or after / before, ms */
  from?: number;
  to?: number;
  deleted?: boolean;
  sort?: 'created' | 'lastLogin';
  order?: 'desc' | 'asc';
  page?: number;
  /** 1–100, default 15 */
  pageSize?: number;
}

/** The admin API (docs/admin.md). JWT; 403 for anyone but an active admin; 404 no such user; 409 last admin, deleted user or busy. */
export interface AdminClient {
  /** GET /blogapi/admin/users */
  users(filters?: AdminUserFilters): Promise<Page<AdminUser>>;
  /** GET /blogapi/admin/users/:id */
  user(id: string): Promise<{ user: AdminUser; sessions: AdminSession[]; failedLogins: number }>;
  /** PUT /blogapi/admin/users/:id/status: reject and freeze need a reason and end every session */
  setStatus(id: string, input: { status: User['status']; reason?: string }): Promise<AdminUser>;
  /** PUT /blogapi/admin/users/:id/level: 0–10 */
  setLevel(id: string, level: number): Promise<AdminUser>;
  /** PUT /blogapi/admin/users/:id/type: password is the admin's own (plaintext; the client sends its md5); 401 wrong */
  setType(id: string, input: { type: User['type']; password: string }): Promise<AdminUser>;
  /** DELETE /blogapi/admin/users/:id/sessions */
  endSessions(id: string): Promise<{ ended: number }>;
  /** POST /blogapi/admin/users/:id/delete: soft deletion; password as for setType */
  deleteUser(id: string, input: { password: string }): Promise<AdminUser>;
  /** GET /blogapi/admin/audit: newest first */
  audit(filters?: { who?: string; action?: string; targetType?: string; target?: string; from?: number; to?: number; page?: number; pageSize?: number }): Promise<Page<AuditEntry>>;
  /** GET /blogapi/admin/dashboard: the last 30 UTC days, today last */
  dashboard(): Promise<{
    users: { total: number; deleted: number; byStatus: Record<User['status'], number>; byType: Record<User['type'], number> };
    articles: { total: number; private: number; byStatus: Record<'online' | 'draft' | 'delete', number> };
    comments: { total: number; pending: number; byState: Record<CommentState, number> };
    days: { day: string; registrations: number; logins: number }[];
  }>;
  /** PUT /blogapi/admin/articles/:id/comments/:commentId/state: any moderation state; 404 unknown article or comment */
  moderateComment(articleId: string, commentId: string, state: CommentState): Promise<{ state: string }>;
  /** GET /blogapi/admin/articles: every article whatever its status, newest first */
  articles(filters?: { status?: 'online' | 'draft' | 'delete' | 'private'; author?: string; category?: string; tag?: string; q?: string; from?: number; to?: number; page?: number; pageSize?: number }): Promise<ArticlePage>;
  /** PUT /blogapi/admin/articles/:id/status: online or draft restores a deleted article */
  setArticleStatus(id: string, status: 'online' | 'draft' | 'delete'): Promise<ArticleItem>;
  /** PUT /blogapi/admin/articles/:id/flags: a mark left out is kept */
  setArticleFlags(id: string, flags: { toped?: boolean; hotted?: boolean }): Promise<ArticleItem>;
  /** GET /blogapi/admin/banners: every banner, disabled ones too, by index */
  banners(): Promise<AdminBanner[]>;
  /** POST /blogapi/admin/banners: cover required; enabled defaults to true */
  createBanner(banner: BannerInput & { cover: string }): Promise<AdminBanner>;
  /** PUT /blogapi/admin/banners/:id: the fields given change */
  editBanner(id: string, banner: BannerInput): Promise<AdminBanner>;
  /** DELETE /blogapi/admin/banners/:id */
  deleteBanner(id: string): Promise<{ id: string }>;
  /** GET /blogapi/admin/comments: every article's comments, newest first; 400 naming a bad filter */
  comments(filters?: AdminCommentFilters): Promise<Page<AdminComment>>;
  /** POST /blogapi/admin/comments/:articleId/:commentId/:action; 404 unknown article or comment */
  commentAction(articleId: string, commentId: string, action: CommentAction): Promise<{ ref: string; id: string; article: string; state: CommentState }>;
  /** commentAction 'approve': visible, and its author approved */
  approveComment(articleId: string, commentId: string): Promise<{ ref: string; id: string; article: string; state: CommentState }>;
  /** commentAction 'hide' */
  hideComment(articleId: string, commentId: string): Promise<{ ref: string; id: string; article: string; state: CommentState }>;
  /** commentAction 'spam' */
  spamComment(articleId: string, commentId: string): Promise<{ ref: string; id: string; article: string; state: CommentState }>;
  /** commentAction 'delete': soft; approving brings it back */
  deleteComment(articleId: string, commentId: string): Promise<{ ref: string; id: string; article: string; state: CommentState }>;
  /** POST /blogapi/admin/comments/bulk: ids are AdminComment.ref (1–100); password the admin's own (plaintext; the client sends its md5), 401 wrong */
  bulkComments(input: { action: CommentAction; ids: string[]; password: string }): Promise<{ results: BulkResult[]; changed: number }>;
  /** PUT /blogapi/admin/users/:id/comment-ban: a banned user's new comments get 403; hideExisting hides their comments */
  banCommenter(id: string, input: { banned: boolean; hideExisting?: boolean; reason?: string }): Promise<{ user: AdminUser; hidden: number }>;
  /** GET /blogapi/admin/types: every type in the public order */
  types(): Promise<AdminType[]>;
  /** POST /blogapi/admin/types: 400 naming identify, name or index; 409 taken */
  createType(t: { identify: string; name: string; index?: number }): Promise<AdminType>;
  /** PUT /blogapi/admin/types/:identify: rename (the display name) or reorder; 404, 409 name taken */
  editType(identify: string, change: TaxonomyChange): Promise<AdminType>;
  /** DELETE /blogapi/admin/types/:identify: 409 while articles name it, unless a replacement takes them */
  deleteType(identify: string, options?: { replacement?: string }): Promise<TaxonomyDeleted>;
  /** GET /blogapi/admin/categories: every category in the public order */
  categories(): Promise<AdminCategory[]>;
  /** POST /blogapi/admin/categories: 400 naming name or index; 409 taken */
  createCategory(c: { name: string; index?: number }): Promise<AdminCategory>;
  /** PUT /blogapi/admin/categories/:name: a rename moves every article along (moved); 404, 409 name taken */
  editCategory(name: string, change: TaxonomyChange): Promise<AdminCategory & { moved: number }>;
  /** DELETE /blogapi/admin/categories/:name: 409 while articles name it, unless a replacement takes them */
  deleteCategory(name: string, options?: { replacement?: string }): Promise<TaxonomyDeleted>;
  /** GET /blogapi/admin/tags: every tag, oldest first */
  tags(): Promise<AdminTag[]>;
  /** POST /blogapi/admin/tags: 400 naming name; 409 taken */
  createTag(name: string): Promise<AdminTag>;
  /** PUT /blogapi/admin/tags/:name: every article with the tag gets the new name; 404, 409 taken */
  renameTag(name: string, newName: string): Promise<AdminTag & { moved: number }>;
  /** DELETE /blogapi/admin/tags/:name: removed from every article (moved: how many) */
  deleteTag(name: string): Promise<TaxonomyDeleted>;
}

/** A type as the admin sees it: articles counts every article naming it, deleted ones too; created in ms. */
export interface AdminType {
  identify: string; name: string; index: number; created: number; articles: number;
}

/** A category as the admin sees it: count is its public articles. */
export interface AdminCategory {
  name: string; index: number; created: number; articles: number; count: number;
}

/** A tag as the admin sees it. */
export interface AdminTag {
  name: string; created: number; articles: number;
}

/** A rename (name) or reorder (index, 0–9999, smaller first) of a type or category: at least one. */
export interface TaxonomyChange {
  name?: string; index?: number;
}

/** What a taxonomy deletion did: key deleted, replacement its articles moved to ("" none), moved how many. */
export interface TaxonomyDeleted {
  key: string; replacement: string; moved: number;
}

/** A banner as the admin sees it; times in ms. */
export interface AdminBanner {
  id: string; cover: string; goUrl: string; title: string; summary: string; index: number; enabled: boolean;
  created: number; updated: number;
}

/** A banner's fields as createBanner and editBanner take them. */
export interface BannerInput {
  cover?: string; goUrl?: string; title?: string; summary?: string; index?: number; enabled?: boolean;
}

export interface ClientOptions {
  /** e.g. "http://127.0.0.1:8080" */
  baseURL: string;
  /** the app's auth_key */
  authKey: string;
  /** the app's auth_secret: public once shipped in a browser app (SPEC §3) */
  authSecret: string;
  /** default globalThis.fetch */
  fetch?: typeof fetch;
  /** default a new MemoryStorage */
  storage?: TokenStorage;
  /** clock for `timestamp`, ms since the Unix epoch; default Date.now */
  now?: () => number;
  /**
   * Web Locks manager (default `navigator.locks` where it exists; `null` for none): renewals hold
   * the lock RENEWAL_LOCK, so tabs sharing one localStorage never renew with the same refresh
   * token at once (that would be reuse, which ends the session, SPEC §4).
   */
  locks?: { request<T>(name: string, callback: () => Promise<T>): Promise<T> } | null;
}

/**
 * One method per route. Every method rejects with ApiError for an envelope
 * code other than 200. Passwords are plaintext: the client sends their md5
 * (SPEC §5). Methods marked JWT send the stored access token and, on 402,
 * renew the pair once (one renewal shared by concurrent calls) and retry
 * once; a failed renewal clears the tokens and rejects with its error.
 */
export interface Client {
  readonly storage: TokenStorage;
  /** stored access token, or null */
  readonly accessToken: string | null;
  /** stored refresh token, or null */
  readonly refreshToken: string | null;
  /** forget both tokens, without a request */
  clearTokens(): void;

  /** GET /healthz (unsigned) */
  health(): Promise<{ status: 'ok' }>;
  /** GET /readyz (unsigned): 503 ApiError when the database does not answer */
  ready(): Promise<{ status: 'ready' }>;
  /** GET /metrics (unsigned): Prometheus text format; 404 ApiError when metrics are disabled or on metrics.addr */
  metrics(): Promise<string>;
  /** GET /openapi.yaml (unsigned): the OpenAPI 3.0.3 description as YAML text */
  openAPI(): Promise<string>;
  /** GET /blogapi/service/captcha; width 40–600, height 20–200 (defaults 150×50); 429 when rate-limited; a plain Error when the X-Captcha-Id header cannot be read */
  captcha(opts?: { width?: number; height?: number }): Promise<Captcha>;
  /** POST /blogapi/service/renewal: rotates the pair (default the stored refresh token) and stores the new one; 402 expired, 521 invalid, 401 reused/ended */
  renewal(refreshToken?: string): Promise<LoginResult>;
  /** GET /blogapi/service/pubkey: RSA public key (PEM) for password transport */
  publicKey(): Promise<{ publicKey: string; passwordEnc: 'rsa-oaep-sha256' }>;
  /** GET /blogapi/reg/check/username: 400 when the account is not valid */
  checkUsername(account: string): Promise<{ account: string; available: boolean }>;
  /** POST /blogapi/reg: the new (pending) user; 400 field or captcha, 409 taken. Stores no token: log in next. */
  register(input: { account: string; password: string; email: string; nick?: string; captcha: string; captchaId: string }): Promise<User>;
  /** POST /blogapi/login (account name or email): stores the pair; 401 wrong account or password, 400 captcha required (ApiError.captchaRequired: send captcha and captchaId), 403, 429 */
  login(input: { account: string; password: string; captcha?: string; captchaId?: string }): Promise<LoginResult>;
  /** POST /blogapi/logout (JWT): ends this session (all: every session), then clears the tokens */
  logout(opts?: { all?: boolean }): Promise<void>;
  /** GET /blogapi/user/center (JWT) */
  userCenter(): Promise<User>;
  /** PUT /blogapi/user/update (JWT): password required when email changes; 401 wrong password, 409 email taken */
  updateUser(input: { nick?: string; email?: string; avatar?: string; summary?: string; web?: string; phone?: string; password?: string }): Promise<User>;
  /** PUT /blogapi/user/reset (JWT): ends every session, stores and returns the new pair; 401 wrong old password */
  changePassword(input: { oldPassword: string; password: string }): Promise<LoginResult>;
  /** POST /blogapi/email/verify/resend (JWT); 429 when rate-limited */
  resendVerification(): Promise<{ sent: true }>;
  /** GET /blogapi/email/verify (unsigned mail link): the verified user; 400 invalid or used token */
  verifyEmail(token: string): Promise<User>;
  /** POST /blogapi/password/forgot: always the same answer, whether or not the user exists */
  forgotPassword(input: { email?: string; account?: string; captcha?: string; captchaId?: string }): Promise<{ message: string }>;
  /** GET /blogapi/password/reset/check (unsigned mail link) */
  checkResetToken(token: string): Promise<{ valid: boolean; expiresAt: number }>;
  /** POST /blogapi/password/reset: 400 invalid or expired token, 404 user gone; logs nobody in */
  resetPassword(input: { token: string; password: string }): Promise<{ reset: true }>;

  /** GET /blogapi/articles: public articles, newest first; pageSize default 15, at most 100 */
  articles(opts?: { page?: number; pageSize?: number; category?: string; tag?: string }): Promise<ArticlePage>;
  /** GET /blogapi/article/recommend */
  recommended(opts?: { page?: number; pageSize?: number }): Promise<ArticlePage>;
  /** GET /blogapi/article/hot: the 10 hot articles */
  hot(): Promise<ArticlePage>;
  /** GET /blogapi/article/search: 400 for a keyword over 64 characters, 429 when rate-limited */
  search(opts?: { keyword?: string; tag?: string; page?: number; pageSize?: number }): Promise<ArticlePage>;
  /** GET /blogapi/article/draft (JWT): the caller's drafts */
  drafts(opts?: { page?: number; pageSize?: number }): Promise<ArticlePage>;
  /** GET /blogapi/article/detail/:id (id or slug; the stored token, if any, for isPraise); 404 */
  article(idOrSlug: string): Promise<ArticleDetail>;
  /** POST /blogapi/article/section (JWT, author or admin): 403, 400 naming the field */
  publish(article: ArticleInput): Promise<ArticleDetail>;
  /** PUT /blogapi/article/section/:id (JWT, the author or an admin): 403, 404, 409 stale version */
  editArticle(id: string, article: ArticleInput): Promise<ArticleDetail>;
  /** DELETE /blogapi/article/section/:id (JWT): soft delete */
  deleteArticle(id: string): Promise<Record<string, never>>;
  /** GET /blogapi/action/checklike/:id */
  checkLike(id: string): Promise<{ isPraise: boolean }>;
  /** POST /blogapi/action/:id/like (JWT): 409 when already liked, 404 */
  like(id: string): Promise<Record<string, never>>;
  /** DELETE /blogapi/action/:id/like (JWT) */
  unlike(id: string): Promise<Record<string, never>>;
  /** GET /blogapi/action/:id/comments: roots with their replies */
  comments(id: string): Promise<CommentNode[]>;
  /** POST /blogapi/action/:id/comment (JWT): 409 duplicate, 429 too many, 404 */
  comment(id: string, input: { content: string; targetId?: string; replyUser?: string }): Promise<Comment>;
  /** PUT /blogapi/action/:id/comment/:cid (JWT, an admin or the article's author): 403, 404 */
  moderateComment(id: string, commentId: string, state: 'visible' | 'held' | 'hidden'): Promise<Record<string, never>>;
  /** GET /blogapi/select/types */
  articleTypes(): Promise<{ name: string; identify: string }[]>;
  /** GET /blogapi/select/category */
  categories(): Promise<{ name: string; count: number }[]>;
  /** GET /blogapi/select/tag */
  tags(): Promise<string[]>;
  /** GET /blogapi/banner */
  banners(): Promise<{ cover: string; goUrl: string; title: string; summary: string }[]>;
  /** GET /blogapi/user/:id/center: 404 */
  author(id: string): Promise<PublicProfile>;
  /** GET /blogapi/user/:id/article */
  authorArticles(id: string, opts?: { page?: number; pageSize?: number }): Promise<ArticlePage>;
  /** GET /blogapi/user/:id/like */
  authorLikes(id: string, opts?: { page?: number; pageSize?: number }): Promise<ArticlePage>;
  /** the admin API */
  readonly admin: AdminClient;
}

export function createClient(opts: ClientOptions): Client;
