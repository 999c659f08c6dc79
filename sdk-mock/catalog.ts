/** Static tables the fleet draws from: realistic mixes, small enough to read. */

interface Model {
  name: string;
  screen: string;
  weight: number;
}

export const IOS_VERSIONS = ['15.8', '16.7', '17.5', '17.6', '18.1', '18.3', '26.0'];
export const IOS_VERSION_WEIGHTS = [3, 8, 10, 12, 25, 30, 12];
export const ANDROID_VERSIONS = ['10', '11', '12', '13', '14', '15', '16'];
export const ANDROID_VERSION_WEIGHTS = [5, 8, 12, 20, 28, 20, 7];

export const IOS_MODELS: Model[] = [
  { name: 'iPhone12,1', screen: '828x1792', weight: 6 },
  { name: 'iPhone13,2', screen: '1170x2532', weight: 9 },
  { name: 'iPhone14,5', screen: '1170x2532', weight: 12 },
  { name: 'iPhone15,2', screen: '1179x2556', weight: 12 },
  { name: 'iPhone16,1', screen: '1179x2556', weight: 14 },
  { name: 'iPhone16,2', screen: '1290x2796', weight: 10 },
  { name: 'iPhone17,3', screen: '1206x2622', weight: 12 },
  { name: 'iPad13,18', screen: '1640x2360', weight: 5 },
  { name: 'iPad14,3', screen: '1668x2388', weight: 3 },
];
export const ANDROID_MODELS: Model[] = [
  { name: 'SM-S921B', screen: '1080x2340', weight: 10 },
  { name: 'SM-A546B', screen: '1080x2340', weight: 12 },
  { name: 'SM-A155F', screen: '1080x2340', weight: 10 },
  { name: 'Pixel 8', screen: '1080x2400', weight: 7 },
  { name: 'Pixel 9 Pro', screen: '1280x2856', weight: 4 },
  { name: '23129RAA4G', screen: '1080x2400', weight: 9 },
  { name: 'CPH2581', screen: '1080x2412', weight: 6 },
  { name: 'moto g54 5G', screen: '1080x2400', weight: 5 },
  { name: 'SM-X710', screen: '1600x2560', weight: 3 },
  { name: 'TECNO KI5q', screen: '720x1612', weight: 4 },
];

interface Country {
  code: string;
  regions: string[];
  locale: string;
  /** Offset of local time from UTC in hours, for a diurnal usage curve. */
  utcOffset: number;
  weight: number;
}

export const COUNTRIES: Country[] = [
  { code: 'US', regions: ['CA', 'NY', 'TX', 'FL', 'WA', 'IL'], locale: 'en-US', utcOffset: -6, weight: 30 },
  { code: 'GB', regions: ['ENG', 'SCT', 'WLS'], locale: 'en-GB', utcOffset: 0, weight: 8 },
  { code: 'DE', regions: ['BE', 'BY', 'NW', 'HH'], locale: 'de-DE', utcOffset: 1, weight: 7 },
  { code: 'FR', regions: ['IDF', 'ARA', 'PAC'], locale: 'fr-FR', utcOffset: 1, weight: 5 },
  { code: 'IN', regions: ['MH', 'KA', 'DL', 'TN'], locale: 'hi-IN', utcOffset: 5, weight: 14 },
  { code: 'BR', regions: ['SP', 'RJ', 'MG'], locale: 'pt-BR', utcOffset: -3, weight: 9 },
  { code: 'JP', regions: ['13', '27', '23'], locale: 'ja-JP', utcOffset: 9, weight: 7 },
  { code: 'CA', regions: ['ON', 'QC', 'BC'], locale: 'en-CA', utcOffset: -5, weight: 5 },
  { code: 'MX', regions: ['CMX', 'JAL', 'NLE'], locale: 'es-MX', utcOffset: -6, weight: 5 },
  { code: 'AU', regions: ['NSW', 'VIC', 'QLD'], locale: 'en-AU', utcOffset: 10, weight: 4 },
  { code: 'ID', regions: ['JK', 'JB', 'JI'], locale: 'id-ID', utcOffset: 7, weight: 6 },
];

/** Weight of a session starting in each local hour (0..23). */
export const HOUR_WEIGHTS = [2, 1, 1, 1, 1, 2, 4, 7, 8, 7, 6, 6, 7, 6, 6, 6, 7, 8, 10, 11, 11, 10, 7, 4];

interface CustomEventDef {
  name: string;
  weight: number;
  /** Prop name to the values it takes. Numbers stay numbers in the JSON. */
  props: Record<string, readonly (string | number)[]>;
}

export const CUSTOM_EVENTS: CustomEventDef[] = [
  { name: 'level_complete', weight: 30, props: { level: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], difficulty: ['easy', 'normal', 'hard'] } },
  { name: 'purchase', weight: 4, props: { item: ['coins_100', 'coins_500', 'no_ads', 'gem_pack'], price: [0.99, 4.99, 2.99, 9.99], currency: ['USD', 'EUR'] } },
  { name: 'add_to_cart', weight: 8, props: { item: ['coins_100', 'coins_500', 'no_ads', 'gem_pack'] } },
  { name: 'share', weight: 6, props: { channel: ['sms', 'whatsapp', 'instagram', 'copy_link'] } },
  { name: 'tutorial_step', weight: 12, props: { step: [1, 2, 3, 4, 5] } },
  { name: 'screen_view', weight: 40, props: { screen: ['home', 'settings', 'store', 'profile', 'leaderboard'] } },
];
