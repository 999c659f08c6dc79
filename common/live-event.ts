/** One event as the live view shows it: small, and without the device id (tracking's GET /v1/live). */
export interface LiveEvent {
  app_id: string;
  type: string;
  name: string;
  ts: number;
  platform: string;
  country: string;
  app_version: string;
}
