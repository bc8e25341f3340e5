// Starts a real blogapi server for the client tests (JS client, newman,
// the browser test): built once from this checkout with `go build`, on a
// fresh temporary data directory, an embedded database and free loopback
// ports, configured from config.yaml plus BLOGAPI_* overrides.
//
//   import { startServer } from '../server.mjs';
//   const srv = await startServer({ env: { BLOGAPI_CAPTCHA_ENABLED: 'false' } });
//   // srv.baseURL = 'http://127.0.0.1:PORT', srv.mongoURI when embeddedListen
//   await srv.stop();
//
// No dependencies beyond node itself.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (the folder holding go.mod and config.yaml). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A free TCP port on 127.0.0.1 (the kernel picks it; released before use). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let built;
/** Builds the server binary once per process (removed when the process exits); returns its path. */
function build() {
  if (!built) {
    const dir = mkdtempSync(join(tmpdir(), 'blogapi-bin-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    built = join(dir, 'blogapi');
    execFileSync('go', ['build', '-o', built, '.'], { cwd: repoRoot, stdio: 'inherit' });
  }
  return built;
}

/**
 * Starts a server and waits until GET /readyz answers 200.
 *
 * @param {object} [opts]
 * @param {Record<string,string>} [opts.env] extra BLOGAPI_* overrides.
 * @param {boolean} [opts.embeddedListen] also expose the embedded database on a
 *   loopback port (srv.mongoURI), e.g. to read a captcha answer in a test.
 * @param {boolean} [opts.quiet] do not echo the server's log to stderr.
 * @param {{account: string, email: string, password: string}} [opts.admin] create this admin
 *   first, as an operator does: `blogapi admin create` with the password on stdin (docs/admin.md).
 * @param {number} [opts.timeoutMs] how long to wait for readiness (default 60000).
 * @returns {Promise<{baseURL: string, mongoURI?: string, dataDir: string, logs: () => string, stop: () => Promise<void>}>}
 */
export async function startServer(opts = {}) {
  const bin = build();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'blogapi-data-'));
  const env = {
    ...process.env,
    BLOGAPI_SERVER_ADDR: `127.0.0.1:${port}`,
    BLOGAPI_SERVER_PUBLIC_URL: `http://127.0.0.1:${port}`,
    BLOGAPI_SERVER_MODE: 'debug',
    BLOGAPI_DATA_DIR: dataDir,
    BLOGAPI_MONGO_URI: '',
    ...(opts.env ?? {}),
  };
  let mongoURI;
  if (opts.embeddedListen) {
    const dbPort = await freePort();
    env.BLOGAPI_MONGO_EMBEDDED_LISTEN = `127.0.0.1:${dbPort}`;
    mongoURI = `mongodb://127.0.0.1:${dbPort}/`;
  }
  if (opts.admin) {
    execFileSync(bin, ['-config', join(repoRoot, 'config.yaml'), 'admin', 'create', '-account', opts.admin.account, '-email', opts.admin.email],
      { cwd: dataDir, env, input: `${opts.admin.password}\n`, stdio: ['pipe', 'ignore', 'inherit'] });
  }
  const child = spawn(bin, ['-config', join(repoRoot, 'config.yaml')], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (chunk) => {
    out += chunk;
    if (!opts.quiet) process.stderr.write(chunk);
  };
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const baseURL = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60000);
  let early;
  exited.then((e) => { early = e; });
  for (;;) {
    if (early) throw new Error(`blogapi exited before it was ready (${JSON.stringify(early)}):\n${out}`);
    try {
      const res = await fetch(`${baseURL}/readyz`);
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`blogapi was not ready within the timeout:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    baseURL,
    mongoURI,
    dataDir,
    logs: () => out,
    async stop() {
      if (!early) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
