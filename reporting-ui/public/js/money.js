// Money in the browser: amounts typed in currency units ("2.50") become integer micros by
// string parsing (never float multiplication), and micros show back as units exactly.

/** The currencies a campaign may take (the store's list, common/money.ts CURRENCIES). */
export const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'CAD', 'AUD', 'NZD', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'HUF', 'CNY', 'HKD', 'SGD', 'KRW', 'INR', 'IDR', 'THB', 'MYR', 'PHP', 'TWD', 'BRL', 'MXN', 'ARS', 'CLP', 'COP', 'ZAR', 'TRY', 'ILS', 'AED', 'SAR', 'RUB', 'UAH', 'RON', 'BGN', 'ISK', 'KWD', 'BHD'];

const AMOUNT = /^(\d{1,12})(?:\.(\d{0,6}))?$/;

/** "2.50" or "1,234.5" to micros (a safe integer), or null when it is not an amount with at most 6 decimals. */
export function unitsToMicros(text) {
  const m = AMOUNT.exec(String(text).trim().replace(/,(?=\d{3}(\D|$))/g, ''));
  if (!m) return null;
  return Number(BigInt(m[1]) * 1000000n + BigInt((m[2] ?? '').padEnd(6, '0')));
}

/** Micros to units with at least two decimals and no float error: 2500000 -> "2.50", 1 -> "0.000001". */
export function microsToUnits(micros) {
  const v = BigInt(Math.trunc(Number(micros) || 0));
  const whole = v / 1000000n;
  let frac = (v % 1000000n).toString().padStart(6, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${whole}.${frac}`;
}
