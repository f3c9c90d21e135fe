// types.test.ts — the published types as a user's compiler meets them. Packs the package as
// npm would publish it (`npm pack`, after `npm run build`), unpacks it into a scratch
// node_modules, and runs tsc on each consumer project in fixtures/ (nodenext, node16, node10,
// bundler, bundler with the WebWorker lib; all strict, no skipLibCheck, no DOM lib). Each
// project type-checks consumer.ts (and node-consumer.ts for Node) — expect-type assertions
// and @ts-expect-error lines for what must be refused — so a type that stops resolving, a
// leaked internal or a lost generic fails here. Then runs @arethetypeswrong/cli and publint
// on the same tarball: both must report no problem.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const fixtures = join(root, "test", "types", "fixtures");
/** A file of an installed devDependency (some hide package.json behind their exports). */
const bin = (pkg: string, path: string) => join(root, "node_modules", pkg, path);

let scratch: string;
let tarball: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "sabre-types-"));
  // --ignore-scripts: the tests run after `npm run build`; prepare would rebuild.
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", scratch], { cwd: root });
  tarball = join(scratch, JSON.parse(stdout)[0].filename);
  const pkg = join(scratch, "consumer", "node_modules", "sabre");
  mkdirSync(pkg, { recursive: true });
  await run("tar", ["-xzf", tarball, "-C", pkg, "--strip-components=1"]);
  cpSync(fixtures, join(scratch, "consumer"), { recursive: true });
  // What a consumer would have installed next to sabre: Node's types and the assertion library.
  symlinkSync(join(root, "node_modules", "@types"), join(scratch, "consumer", "node_modules", "@types"));
  symlinkSync(join(root, "node_modules", "expect-type"), join(scratch, "consumer", "node_modules", "expect-type"));
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const projects = readdirSync(fixtures, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

describe("the packed types in consumer projects (strict, no skipLibCheck, no DOM lib)", () => {
  it("covers every module mode", () => {
    expect(projects.sort()).toEqual(["bundler", "bundler-webworker", "node10", "node16", "nodenext"]);
  });

  it.each(projects)("%s: tsc finds no error", async (project) => {
    const tsc = bin("typescript", "bin/tsc");
    const result = await run(process.execPath, [tsc, "-p", join(scratch, "consumer", project, "tsconfig.json")]).then(
      () => "",
      (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ""}${e.stderr ?? ""}` || String(e),
    );
    expect(result).toBe("");
  });
});

describe("package checks on the tarball", () => {
  it("@arethetypeswrong/cli: every entry resolves under node10, node16 (from CJS and ESM) and bundler", async () => {
    // One rule ignored: sabre is ESM only, so TypeScript's node16-from-CJS mode sees a
    // `require` of an ES module (cjs-resolves-to-esm); Node >= 20.19 (engines) loads it with
    // require(esm), and the types still resolve there (the table shows it).
    const attw = bin("@arethetypeswrong/cli", "dist/index.js");
    const { stdout } = await run(process.execPath, [attw, tarball, "--ignore-rules", "cjs-resolves-to-esm", "--format", "table-flipped"]).catch(
      (e: { stdout: string }) => expect.fail(e.stdout),
    );
    console.log(stdout);
    expect(stdout).toMatch(/No problems found/);
    expect(stdout).not.toMatch(/❌|⚠️|💀|🐛|🥴|❗️|🎭|🕵️|🚭|👺/);
  });

  it("publint: no error, warning or suggestion", async () => {
    const publint = bin("publint", "src/cli.js");
    const { stdout } = await run(process.execPath, [publint, "run", tarball, "--strict"]).catch(
      (e: { stdout: string }) => expect.fail(e.stdout),
    );
    console.log(stdout);
    expect(stdout).toMatch(/All good/);
  });
});
