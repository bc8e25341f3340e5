// A small static file server for the demo page (node:http, no framework),
// and `npm run demo`, which also starts an API server that allows the
// page's origin.
//
// It serves only what the page loads: demo/, src/ and the client's one
// dependency, node_modules/@noble/hashes/. Anything else, and any path that
// would leave those folders, is a 404.
//
//   npm run demo                      # API server (captcha on, mail links to
//                                     # the page, printed here) + demo page
//   npm run demo -- --api URL         # demo page only, against a running API
//                                     # whose CORS allows the printed origin
//   npm run demo -- --port 5173       # a fixed port for the page
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** The package folder (clients/js). */
const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Paths of the mail links when server.frontend_url is the demo's /demo. */
const mailLinkPages = ['/demo/verify-email', '/demo/reset-password'];

/** Folders (relative to clients/js) the page may load from. */
const servedDirs = ['demo', 'src', join('node_modules', '@noble', 'hashes')];

const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Maps a request path to a file inside one of servedDirs, or null. Rejects
 * encoded separators, NUL, dot segments and symlinks that lead outside.
 * @param {string} urlPath the path of the request URL (still percent-encoded).
 * @returns {Promise<string | null>}
 */
export async function resolveFile(urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (path.includes('\0') || path.includes('\\') || path.split('/').some((seg) => seg === '..' || seg === '.')) return null;
  if (path.endsWith('/')) path += 'index.html';
  const file = resolve(root, `.${path}`);
  const inside = (p) => servedDirs.some((d) => p.startsWith(join(root, d) + sep));
  if (!inside(file)) return null;
  try {
    const real = await realpath(file);
    if (!inside(real) || !(await stat(real)).isFile()) return null;
    return real;
  } catch {
    return null;
  }
}

/**
 * Starts the static server.
 * @param {object} [opts]
 * @param {string} [opts.host] default 127.0.0.1.
 * @param {number} [opts.port] default 0 (a free port).
 * @returns {Promise<{origin: string, url: string, close: () => Promise<void>}>}
 *   origin is "http://host:port"; url is the demo page.
 */
export async function startDemoServer({ host = '127.0.0.1', port = 0 } = {}) {
  const server = createServer(async (req, res) => {
    const reply = (status, text, headers = {}) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    const { pathname } = new URL(req.url, 'http://demo.invalid');
    if (pathname === '/' || pathname === '/demo') return reply(302, 'see /demo/\n', { Location: '/demo/' });
    // The mail links' pages (mail.verify_link, mail.reset_link) are the
    // demo page itself, which reads their token.
    const file = await resolveFile(mailLinkPages.includes(pathname) ? '/demo/index.html' : pathname);
    if (!file) return reply(404, 'not found\n');
    res.writeHead(200, {
      'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const origin = `http://${host}:${server.address().port}`;
  return {
    origin,
    url: `${origin}/demo/`,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

async function main() {
  const { values } = parseArgs({
    options: { api: { type: 'string' }, port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  const demo = await startDemoServer({ host: values.host, port: Number(values.port) });
  let api = values.api;
  let srv;
  if (!api) {
    const { startServer } = await import('../../server.mjs');
    srv = await startServer({
      env: { BLOGAPI_SERVER_CORS_ALLOWED_ORIGINS: demo.origin, BLOGAPI_SERVER_FRONTEND_URL: `${demo.origin}/demo` },
      quiet: true,
    });
    api = srv.baseURL;
    console.log(`API server:  ${api} (captcha on, CORS allows ${demo.origin}, data in ${srv.dataDir})`);
    console.log('Mails are not sent: their links (verification, password reset) are printed here.');
    let seen = 0;
    setInterval(() => {
      const logs = srv.logs();
      for (const m of logs.slice(seen).matchAll(/msg="mail not sent[^\n]*?to=(\S+)[^\n]*?(https?:\/\/[^\s"\\]+token=[A-Za-z0-9_%-]+)/g)) {
        console.log(`Mail to ${m[1]}: ${m[2]}`);
      }
      seen = logs.lastIndexOf('\n') + 1;
    }, 500).unref();
  } else {
    console.log(`API server:  ${api} (its server.cors.allowed_origins must include ${demo.origin})`);
  }
  console.log(`Demo page:   ${demo.url}?api=${encodeURIComponent(api)}`);
  console.log('Ctrl-C stops.');
  const stop = async () => {
    await demo.close();
    await srv?.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
