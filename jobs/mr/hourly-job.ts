/**
 * `hourly`: the device job's partial rows summed into final rows.
 *
 * map: identity on `key<TAB>value` lines.
 * reduce: per key, the sum of the partial rows: an AppHourlyRow for `app_hourly ...` keys
 *      (devices add up exactly: each device was in one reduce call of the device job, so it
 *      sent at most one partial row per key), a SeqGapRow for `seq_gaps ...` keys.
 */
import type { AppHourlyRow } from '../../store/facts.js';
import { excerpt, MrError, MrErrorCode } from './errors.js';
import { asciiJson, splitLine } from './encoding.js';
import { GAPS_KIND, HOURLY_KIND, emptyHourlyRow, type SeqGapRow } from './device-job.js';
import type { MrJob } from './mr-job.js';

const SUMMED = ['devices', 'events', 'app_open', 'app_close', 'app_background', 'app_foreground', 'ad_request', 'ad_impression', 'ad_click', 'ad_interaction', 'custom', 'sessions', 'session_ms'] as const;

function parse<T>(value: string): T {
  try {
    return JSON.parse(value) as T;
  } catch {
    throw new MrError(MrErrorCode.BAD_LINE, `hourly reduce: value ${excerpt(value)} is not JSON`);
  }
}

export const hourlyJob: MrJob = {
  name: 'hourly',
  map(line, emit) {
    const [key, value] = splitLine(line);
    if (!line.includes('\t')) throw new MrError(MrErrorCode.BAD_LINE, `hourly map: line ${excerpt(line)} has no tab (is this the device job's output?)`);
    emit(key, value);
  },
  reduce(key, values, emit) {
    const kind = key.slice(0, key.indexOf(' '));
    if (kind === HOURLY_KIND) {
      const first = parse<AppHourlyRow>(values[0]!);
      const sum = emptyHourlyRow(first.app_id, first.hour, [first.platform, first.os_version, first.app_version, first.country, first.device_class]);
      for (const v of values) {
        const p = parse<AppHourlyRow>(v);
        for (const k of SUMMED) sum[k] += p[k];
      }
      emit(key, asciiJson(sum));
    } else if (kind === GAPS_KIND) {
      const first = parse<SeqGapRow>(values[0]!);
      const sum: SeqGapRow = { app_id: first.app_id, day: first.day, platform: first.platform, seq_gaps: 0 };
      for (const v of values) sum.seq_gaps += parse<SeqGapRow>(v).seq_gaps;
      emit(key, asciiJson(sum));
    } else {
      throw new MrError(MrErrorCode.BAD_LINE, `hourly reduce: key ${excerpt(key)} is neither ${HOURLY_KIND} nor ${GAPS_KIND} (is this the device job's output?)`);
    }
  },
};
