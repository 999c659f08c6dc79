import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * The id a process writes its fleet counts under (store/fleet.ts): the given name, or the host
 * name and process id, then the start time and a random tail, so a restarted process never
 * overwrites the counts its previous life left (those stay counted).
 */
export function fleetNodeId(name: string): string {
  const base = (name || `${hostname()}-${process.pid}`).replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 100);
  return `${base}.${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}
