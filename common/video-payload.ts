/**
 * A video creative's payload (creative kind `video`): JSON naming its media file and length,
 * what a VAST answer needs (adserver/vast.ts). Checked once where creatives are written
 * (store/validate.ts) and read where the ad server builds its index.
 *   { "media_url": "https://cdn.example/ad.mp4", "duration_s": 15, "mime": "video/mp4" }
 * `mime` defaults to video/mp4.
 */
interface VideoPayload {
  media_url: string;
  duration_s: number;
  mime: string;
}

const MIME = /^video\/[a-z0-9.+-]{1,40}$/;

/** The payload, or what is wrong with it (one sentence). */
export function parseVideoPayload(payload: string): VideoPayload | string {
  let j: unknown;
  try {
    j = JSON.parse(payload);
  } catch {
    return 'a video payload must be JSON: {"media_url": "https://...", "duration_s": 15, "mime": "video/mp4"}';
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) return 'a video payload must be a JSON object with media_url and duration_s';
  const { media_url: url, duration_s: dur, mime = 'video/mp4' } = j as Record<string, unknown>;
  if (typeof url !== 'string' || url.length > 2048 || !/^https?:\/\/[^\s<>"]+$/.test(url)) return 'media_url must be an http(s) URL of at most 2048 characters, without spaces, quotes or angle brackets';
  if (typeof dur !== 'number' || !Number.isFinite(dur) || dur <= 0 || dur > 3600) return 'duration_s must be a number of seconds above 0 and at most 3600';
  if (typeof mime !== 'string' || !MIME.test(mime)) return 'mime must be a video type such as video/mp4';
  return { media_url: url, duration_s: dur, mime };
}

/** The linear events Sluice tracks, as VAST names them: the ad server puts them in its VAST, tracking takes them on /v1/b/vid?e=. */
export const VIDEO_EVENTS = ['start', 'firstQuartile', 'midpoint', 'thirdQuartile', 'complete'] as const;
export type VideoEvent = (typeof VIDEO_EVENTS)[number];
