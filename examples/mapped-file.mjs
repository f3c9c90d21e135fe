// examples/mapped-file.mjs — a file mapped into memory: typed views, another process sees the writes, flush to disk, a truncation reported as an error
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mapFile } from "sabre/node";

if (process.argv[2] === "reader") {
  // another process: maps the same file read-only and reads what the first one wrote
  const file = mapFile(process.argv[3]);
  console.log(file.view(Float64Array)[100]);
  file.close();
} else {
  const dir = mkdtempSync(join(tmpdir(), "sabre-example-"));
  const path = join(dir, "data.bin");
  writeFileSync(path, new Uint8Array(64 * 1024)); // an existing file of 64 KiB

  const file = mapFile(path, { write: true }); // read-write: shared with every process mapping it
  const numbers = file.view(Float64Array);
  for (let i = 0; i < numbers.length; i++) numbers[i] = i * 0.5;
  const reader = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "reader", path], { encoding: "utf8" });
  console.log(reader.trim()); // 50

  file.flush(); // msync: the writes are on disk
  console.log(readFileSync(path).readDoubleLE(100 * 8)); // 50

  truncateSync(path, 4096); // the file shrinks under the mapping
  console.log(numbers[5000]); // 0
  try {
    file.check();
  } catch (error) {
    console.log(error.name); // MappedFileChangedError
  }
  file.close();
  rmSync(dir, { recursive: true, force: true });
}
