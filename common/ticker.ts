/**
 * Calls fn every intervalMs; a tick while the previous call still works is skipped, not
 * queued (a slow peer must not pile up calls). Unref'd: it keeps no process alive. Returns stop.
 */
export function everyInterval(fn: () => Promise<unknown>, intervalMs: number): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void fn().catch(() => undefined).finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
