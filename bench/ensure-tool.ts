import { execFileSync, execSync } from 'node:child_process';

/** Makes sure a Debian-packaged tool is on PATH, installing it with apt-get (as root) if not. */
export function ensureTool(bin: string, pkg = bin): string {
  const which = () => {
    try {
      return execFileSync('which', [bin], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  let path = which();
  if (path) return path;
  console.log(`installing ${pkg} (apt-get)...`);
  execSync(`apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkg}`, { stdio: 'inherit' });
  path = which();
  if (!path) throw new Error(`${bin} is not available and could not be installed`);
  return path;
}
