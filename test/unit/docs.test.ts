// docs.test.ts — every public export of 'sabre' and 'sabre/node' has a doc comment: runs
// typedoc with the project's typedoc.json (the same check as `npm run docs`:
// validation.notDocumented, notExported and invalidLink, warnings as errors) without writing
// the HTML. A new export, member or option without a doc comment fails here with typedoc's
// list of what is missing.
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("API reference (typedoc)", () => {
  it("documents every public export and member, with no broken link", async () => {
    const typedoc = `${root}node_modules/typedoc/bin/typedoc`;
    const output = await promisify(execFile)(process.execPath, [typedoc, "--emit", "none"], { cwd: root }).then(
      ({ stdout, stderr }) => ({ ok: true, text: stdout + stderr }),
      (e: { stdout?: string; stderr?: string }) => ({ ok: false, text: `${e.stdout ?? ""}${e.stderr ?? ""}` }),
    );
    // eslint-disable-next-line no-control-regex
    const text = output.text.replace(/\x1b\[[0-9;]*m/g, "");
    expect(text).not.toMatch(/\[warning\]|\[error\]/);
    expect(output.ok, text).toBe(true);
  });
});
