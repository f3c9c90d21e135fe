// readme.test.ts — README.md's code runs as pasted. The convention (also stated in README's
// "Testing"): a ```js or ```ts block whose FIRST line is a comment naming a file under
// examples/ (`// examples/quickstart.mjs — what it shows`) is runnable; that file must hold
// exactly the block's text, and the block is run as that file with the current Node (a .ts
// block is type-checked with tsc and compiled by esbuild first). In a runnable block, the
// trailing comment of a `console.log(...)` line is what that line prints: the run's output
// must be those lines, in order. Other blocks are fragments and are not run, but no block may
// hold two files (a `// worker.mjs` line in the middle: split it into two blocks). Also
// checked: the README opens with exactly the two set-up commands, and the size it states for
// the core's wasm matches build/sabre.wasm.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { transform } from "esbuild";
import { describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const readme = readFileSync(`${repo}README.md`, "utf8");

interface Block {
  lang: string;
  text: string;
  line: number; // 1-based line of the opening fence, for messages
}

/** Every fenced code block of the README, with its language and text (ending in a newline). */
function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && !/^```\s*$/.test(lines[j])) j++;
    blocks.push({ lang: open[1], text: lines.slice(i + 1, j).map((l) => `${l}\n`).join(""), line: i + 1 });
    i = j;
  }
  return blocks;
}

const RUNNABLE = /^\/\/ (examples\/[\w.-]+\.(?:mjs|ts)) — \S/;
/** A comment line naming a file, as a two-file block separates its files. */
const FILE_LINE = /^\/\/ [\w./-]+\.(?:mjs|cjs|js|ts)\b/;

const blocks = codeBlocks(readme);
const code = blocks.filter((b) => b.lang === "js" || b.lang === "ts");
const runnable = code.flatMap((b) => {
  const m = RUNNABLE.exec(b.text);
  return m ? [{ ...b, file: m[1] }] : [];
});

/** What a runnable block says it prints: the trailing comments of its console.log lines. */
function expectedOutput(text: string): string[] {
  return text.split("\n").flatMap((line) => {
    const m = /^\s*console\.log\(.*\);\s*\/\/ (.+)$/.exec(line);
    return m ? [m[1].trim()] : [];
  });
}

function runNode(file: string): string {
  return execFileSync(process.execPath, [file], { cwd: repo, encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "pipe"] });
}

describe("README.md", () => {
  it("opens with exactly the two set-up commands", () => {
    expect(readme.startsWith("# sabre\n\n```sh\n")).toBe(true);
    const first = blocks[0];
    expect(first.lang).toBe("sh");
    expect(first.text.split("\n").filter(Boolean).map((l) => l.replace(/\s+#.*$/, ""))).toEqual([
      "npm install && npm run bench",
      "npm test",
    ]);
  });

  it("marks its complete programs runnable, the quickstart first", () => {
    expect(runnable.map((b) => b.file)).toEqual(expect.arrayContaining(["examples/quickstart.mjs", "examples/two-threads.mjs", "examples/guards.ts"]));
    expect(code[0].text.startsWith("// examples/quickstart.mjs — ")).toBe(true);
  });

  it("has no block that holds two files (split them into two blocks)", () => {
    for (const b of code) {
      const inner = b.text.split("\n").slice(1).filter((l) => FILE_LINE.test(l));
      expect(inner, `README.md:${b.line}`).toEqual([]);
    }
  });

  for (const b of runnable) {
    it(`runs ${b.file} (README.md:${b.line}) as written`, async () => {
      const path = `${repo}${b.file}`;
      expect(existsSync(path), `${b.file} is missing: it must hold the block at README.md:${b.line}`).toBe(true);
      expect(readFileSync(path, "utf8"), `${b.file} differs from the block at README.md:${b.line}`).toBe(b.text);
      let script = path;
      if (b.file.endsWith(".ts")) {
        // compile to build/readme/ (inside the package, so "sabre" resolves to it as in an app)
        const out = await transform(b.text, { loader: "ts", format: "esm", target: "node20", sourcefile: b.file });
        mkdirSync(`${repo}build/readme`, { recursive: true });
        script = `${repo}build/readme/${b.file.slice("examples/".length).replace(/\.ts$/, ".mjs")}`;
        writeFileSync(script, out.code);
      }
      const printed = runNode(script).trimEnd().split("\n");
      expect(printed).toEqual(expectedOutput(b.text));
    });
  }

  it("its TypeScript blocks type-check (strict, against the built package's types)", () => {
    const files = runnable.filter((b) => b.file.endsWith(".ts")).map((b) => b.file);
    expect(files.length).toBeGreaterThan(0);
    const tsc = `${repo}node_modules/typescript/bin/tsc`;
    const args = ["--noEmit", "--strict", "--target", "es2022", "--module", "esnext", "--moduleResolution", "bundler",
      "--lib", "es2022,esnext.disposable,dom", "--types", "node", ...files];
    let output = "";
    try {
      execFileSync(process.execPath, [tsc, ...args], { cwd: repo, encoding: "utf8", timeout: 60_000 });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe("");
  });

  it("states the core's wasm size as it is (raw and gzipped, within 10%)", () => {
    const m = /wasm bytes \(about ([\d.]+) KB, ([\d.]+) KB gzipped\)/.exec(readme);
    expect(m, "README's statement of the wasm size").not.toBeNull();
    const wasm = readFileSync(`${repo}build/sabre.wasm`);
    expect(statSync(`${repo}build/sabre.wasm`).size).toBe(wasm.length);
    const raw = wasm.length / 1000;
    const gzipped = gzipSync(wasm, { level: 9 }).length / 1000;
    expect(Math.abs(Number(m![1]) - raw) / raw).toBeLessThan(0.1);
    expect(Math.abs(Number(m![2]) - gzipped) / gzipped).toBeLessThan(0.1);
  });
});
