import { randomUUID } from 'node:crypto';
import { signedTokenForUrl } from '../common/decision-token.js';
import type { AdRequest, Pick } from './decide.js';

export interface AnswerOptions {
  trackingUrl: string;
  secret: string;
  ttlMs: number;
}

/**
 * Builds the JSON answer by splicing strings: each creative's fragment was serialised when
 * the index was built, so a request only adds the decision id and the signed beacon URLs.
 */
export function answerJson(req: AdRequest, picks: Pick[], now: number, o: AnswerOptions, validity?: { from: number; until: number }[]): string {
  const decisionId = randomUUID();
  let s = `{"decision_id":"${decisionId}","ttl_seconds":${Math.round(o.ttlMs / 1000)},"ads":[`;
  for (let i = 0; i < picks.length; i++) {
    const p = picks[i]!;
    const cr = p.cand.creatives[p.creative]!;
    const exp = validity ? validity[i]!.until : now + o.ttlMs;
    const token = signedTokenForUrl(picks.length > 1 ? `${decisionId}.${i}` : decisionId, req.app, req.slot, req.device, now, exp, cr.tokenTail, cr.tokenTailUrl, o.secret);
    s += `${i ? ',' : ''}${cr.json},"impression_url":"${o.trackingUrl}/v1/b/imp?t=${token}","click_beacon_url":"${o.trackingUrl}/v1/b/clk?t=${token}"`;
    if (validity) s += `,"valid_from":${validity[i]!.from},"valid_until":${validity[i]!.until}`;
    s += '}';
  }
  return s + ']}';
}
