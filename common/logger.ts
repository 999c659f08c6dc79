import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * The one logger factory. Secrets and personal fields are redacted at the source, so no
 * tier can log an app key, a password or a device id by accident.
 */
export function createLogger(name: string, level: LevelWithSilent = 'info'): Logger {
  return pino({
    name,
    level,
    base: { tier: name },
    redact: {
      paths: ['*.password', '*.apiKey', '*.appKey', '*.app_key', '*.device_id', 'req.headers["x-sluice-app-key"]', 'req.headers.cookie', 'req.headers.authorization'],
      censor: '[redacted]',
    },
  });
}
