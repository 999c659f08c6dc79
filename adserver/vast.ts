/**
 * VAST 4.2 answers for video creatives (`GET /v1/vast`): one InLine ad with its media file,
 * an Impression URL, the linear tracking events a player fires (start, quartiles, complete)
 * and the click-through, all on tracking's beacons with the decision's signed token. The
 * creative's parts are escaped once when the index is built (vastCreative); a request only
 * adds the decision id and the URLs.
 */
import { randomUUID } from 'node:crypto';
import { signedTokenForUrl } from '../common/decision-token.js';
import { parseVideoPayload, VIDEO_EVENTS } from '../common/video-payload.js';
import type { Creative } from '../store/model.js';
import type { AnswerOptions } from './answer.js';
import type { AdRequest, Pick } from './decide.js';


/** A video creative's VAST parts, escaped. */
export interface VastCreative {
  /** `<AdTitle>`. */
  title: string;
  /** From `<Advertiser>` to the Linear's Duration. */
  head: string;
  /** From `</TrackingEvents>`'s VideoClicks on: the media file and the closing tags. */
  media: string;
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>';
/** No ad: an empty VAST document, as players expect. */
export const NO_AD_VAST = `${XML_HEAD}<VAST version="4.2" xmlns="http://www.iab.com/VAST"/>`;

/** Characters XML 1.0 cannot hold even escaped (C0 controls but tab, newline and return; U+FFFE, U+FFFF; lone surrogates). */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text for XML content or attributes: markup escaped, and what XML cannot hold replaced with U+FFFD (a creative name may have it). */
function xmlEscape(s: string): string {
  return s.replace(NOT_XML, '\uFFFD').replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'));
}

/** Seconds as VAST's HH:MM:SS.mmm. */
function duration(s: number): string {
  const ms = Math.round(s * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
}

/** The creative's VAST parts, or why it cannot be served as VAST (not a video, or a bad payload). */
export function vastCreative(c: Creative, campaignId: string, lineItemId: string): VastCreative | string {
  if (c.kind !== 'video') return `kind ${c.kind} is not video`;
  const v = parseVideoPayload(c.payload);
  if (typeof v === 'string') return v;
  const [w, h] = c.size.split('x');
  const id = xmlEscape(c.id);
  return {
    title: `<AdTitle>${xmlEscape(c.name)}</AdTitle>`,
    head: `<Advertiser>${xmlEscape(campaignId)}</Advertiser><Creatives><Creative id="${id}" adId="${xmlEscape(lineItemId)}"><UniversalAdId idRegistry="sluice">${id}</UniversalAdId><Linear><Duration>${duration(v.duration_s)}</Duration>`,
    media: `<MediaFiles><MediaFile delivery="progressive" type="${xmlEscape(v.mime)}" width="${w}" height="${h}">${xmlEscape(v.media_url)}</MediaFile></MediaFiles></Linear></Creative></Creatives>`,
  };
}

/** The VAST document of one picked video creative. */
export function vastXml(req: AdRequest, pick: Pick, vast: VastCreative, now: number, o: AnswerOptions): string {
  const decisionId = randomUUID();
  const cr = pick.cand.creatives[pick.creative]!;
  const token = signedTokenForUrl(decisionId, req.app, req.slot, req.device, now, now + o.ttlMs, cr.tokenTail, cr.tokenTailUrl, o.secret);
  const beacon = `${xmlEscape(o.trackingUrl)}/v1/b`;
  let events = '';
  for (const e of VIDEO_EVENTS) events += `<Tracking event="${e}">${beacon}/vid?t=${token}&amp;e=${e}</Tracking>`;
  return `${XML_HEAD}<VAST version="4.2" xmlns="http://www.iab.com/VAST"><Ad id="${decisionId}"><InLine><AdSystem version="1">Sluice</AdSystem>${vast.title}<AdServingId>${decisionId}</AdServingId>`
    + `<Impression id="sluice">${beacon}/imp?t=${token}</Impression>${vast.head}<TrackingEvents>${events}</TrackingEvents>`
    + `<VideoClicks><ClickThrough id="sluice">${beacon}/clk?t=${token}</ClickThrough></VideoClicks>${vast.media}</InLine></Ad></VAST>`;
}
