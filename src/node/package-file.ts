// node/package-file.ts — finds a file shipped at the package's root (workers/*.mjs: package.json
// "files" ships workers/) from the running module, in dist/ or src/: the directories above this
// module are searched once per file.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const found = new Map<string, URL>();

/** The file: URL of `relative` (such as "workers/pool-worker.mjs") in the package. */
export function packageFile(relative: string): URL {
  const known = found.get(relative);
  if (known) return known;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) {
      const url = pathToFileURL(candidate);
      found.set(relative, url);
      return url;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`sabre: ${relative} was not found above ${fileURLToPath(import.meta.url)}; the package is incomplete`);
    dir = up;
  }
}
