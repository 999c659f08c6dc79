/**
 * Debian's Chromium (installed by scripts/chromium.sh) driven by playwright-core, and the
 * folder the browser tests put their screenshots in (.test-artifacts/ui/).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SHOTS = join(ROOT, '.test-artifacts', 'ui');
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

function browserPath(): string {
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'chromium.sh'), 'install'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
  if (r.status !== 0) throw new Error(`scripts/chromium.sh install failed (exit ${String(r.status)}); install Debian's chromium as root`);
  return r.stdout.trim().split('\n').pop()!;
}

/** Installs Chromium if needed and launches it headless; makes the screenshot folder. */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: browserPath(), headless: true, args: FLAGS });
}
