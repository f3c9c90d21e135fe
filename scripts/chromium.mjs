// chromium.mjs — launches headless Chromium for the browser tests and the browser benchmark,
// through playwright-core against the system's Chromium (Debian's `chromium` package at
// /usr/bin/chromium; override with SABRE_CHROMIUM). A test tool's own browser download cannot
// work on machines without outside network, so nothing here downloads anything. A missing
// binary is an error with the command that installs it, never a silent skip.
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.SABRE_CHROMIUM || "/usr/bin/chromium";

/**
 * Flags: no sandbox (CI runs as root), no GPU, and nothing that phones home (background
 * networking, component updates, sync, QUIC): on a machine with a closed network those only
 * produce refused connections. playwright-core adds --headless and a fresh temporary
 * --user-data-dir of its own for every launch (and removes it on close).
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
];

/** Launches headless Chromium; throws a clear error when the binary is missing. */
export async function launchChromium() {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: the browser tests need it. Install Debian's package ` +
        "(`apt-get install -y chromium`, as .ci/run does) or set SABRE_CHROMIUM to a Chromium binary.",
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}
