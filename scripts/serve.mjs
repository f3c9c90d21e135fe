// serve.mjs — the small static server for the browser demo, the browser tests and the browser
// benchmark. Loopback only (127.0.0.1). Every response carries the headers that make a page
// cross-origin isolated, which SharedArrayBuffer and shared WebAssembly.Memory require:
//   Cross-Origin-Opener-Policy: same-origin
//   Cross-Origin-Embedder-Policy: require-corp
//   Cross-Origin-Resource-Policy: same-origin   (lets require-corp pages load our own files)
// The same files under the prefix /unisolated/ are served WITHOUT those headers, so a test
// (and a curious user) can see what a page that is not isolated gets.
//
// Only the folders the pages need are served (PUBLIC below: comlink's ESM build for the RPC
// tests among them); anything else is 404.
//   node scripts/serve.mjs [--port=N]   (default 8080; PORT also works; 0 picks a free port)
// `npm run demo` builds, then runs this and prints the demo's URL.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** URL path prefixes that map to repo folders (or single files); everything else is 404. */
const PUBLIC = [
  "/demo/", "/dist/", "/test/browser/", "/bench/browser/", "/bench/lib/", "/node_modules/comlink/dist/esm/",
  "/test/fixtures/party-death-cases.mjs", // the party-death cases, shared by the Node and browser tests
];
const UNISOLATED = "/unisolated";

export const ISOLATION_HEADERS = Object.freeze({
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
});

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".wasm": "application/wasm",
};

/** Resolves a URL path to a file under a PUBLIC folder, or undefined. */
function fileFor(pathname) {
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (path.endsWith("/")) path += "index.html";
  if (!PUBLIC.some((p) => path.startsWith(p))) return undefined;
  const file = normalize(join(root, path));
  if (!file.startsWith(root + sep) || path.includes("\0")) return undefined;
  return file;
}

async function handle(req, res, log) {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  let pathname = url.pathname;
  const isolated = !(pathname === UNISOLATED || pathname.startsWith(`${UNISOLATED}/`));
  if (!isolated) pathname = pathname.slice(UNISOLATED.length) || "/";
  const headers = { "Cache-Control": "no-store", ...(isolated ? ISOLATION_HEADERS : {}) };
  if (pathname === "/") {
    res.writeHead(302, { ...headers, Location: `${isolated ? "" : UNISOLATED}/demo/` }).end();
    return;
  }
  if (pathname === "/favicon.ico") {
    res.writeHead(204, headers).end(); // no icon; keeps the browser console free of 404s
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { ...headers, Allow: "GET, HEAD" }).end();
    return;
  }
  const file = fileFor(pathname);
  let body;
  try {
    if (!file || !(await stat(file)).isFile()) throw new Error("not a file");
    body = await readFile(file);
  } catch {
    res.writeHead(404, { ...headers, "Content-Type": "text/plain; charset=utf-8" }).end(`not found: ${pathname}\n`);
    log?.(`404 ${req.url}`);
    return;
  }
  res.writeHead(200, {
    ...headers,
    "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
    "Content-Length": body.length,
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

/**
 * Starts the server on 127.0.0.1. Resolves { url, port, close } once listening; `url` is the
 * origin (http://127.0.0.1:PORT). Port 0 (the default) picks a free port.
 */
export function startServer({ port = 0, log } = {}) {
  const server = createServer((req, res) => {
    handle(req, res, log).catch((error) => {
      log?.(`500 ${req.url}: ${error}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const actual = server.address().port;
      resolve({
        url: `http://127.0.0.1:${actual}`,
        port: actual,
        close: () => new Promise((r) => {
          server.closeAllConnections?.();
          server.close(() => r());
        }),
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const arg = process.argv.find((a) => a.startsWith("--port="));
  const port = Number(arg ? arg.slice(7) : (process.env.PORT ?? 8080));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: --port / PORT must be an integer from 0 to 65535, got ${arg ?? process.env.PORT}`);
    process.exit(2);
  }
  try {
    const { url } = await startServer({ port, log: (line) => console.log(line) });
    console.log(`sabre demo (cross-origin isolated): ${url}/demo/`);
    console.log(`the same page WITHOUT the isolation headers:  ${url}/unisolated/demo/`);
    console.log("serving on 127.0.0.1 only; Ctrl-C stops");
  } catch (error) {
    console.error(`serve: cannot listen on 127.0.0.1:${port}: ${error.message}` +
      (error.code === "EADDRINUSE" ? " (in use: pass --port=N or PORT=N)" : ""));
    process.exit(1);
  }
}
