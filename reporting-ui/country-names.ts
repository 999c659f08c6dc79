/**
 * English names of ISO 3166 country codes for the reports ("DE" -> "Germany"), from the ICU
 * data Node ships; a code it does not know keeps its code.
 */
const regions = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
const cache = new Map<string, string>();

export function countryName(code: string): string {
  let name = cache.get(code);
  if (name === undefined) {
    try {
      // Only two letters or three digits are region codes; anything else (e.g. '', 'ZZZ') stays as it is.
      name = /^([A-Za-z]{2}|\d{3})$/.test(code) ? regions.of(code.toUpperCase()) ?? code : code;
    } catch {
      name = code;
    }
    // Bounded: country codes are few, and odd values are capped by the table's VARCHAR(8).
    if (cache.size < 1000) cache.set(code, name);
  }
  return name;
}
