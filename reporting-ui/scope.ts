/**
 * What one user may see. Every report route asks its Scope before reading: a publisher sees
 * only its apps (and the ad numbers on them), an advertiser only its campaigns (on any app),
 * an admin everything. An object of another tenant answers 404, as if it did not exist.
 */
import type { App, Campaign } from '../store/model.js';
import type { ReportStore } from '../store/store.js';
import type { User } from '../store/users.js';
import { forbidden, notVisible } from './errors.js';

export class Scope {
  private apps: App[] | undefined;
  private campaigns: Campaign[] | undefined;
  constructor(readonly user: User, private readonly store: ReportStore) {}

  /** A publisher's or advertiser's tenant id; the store never keeps such a user without one. */
  private tenant(id: string | null, kind: string): string {
    if (id === null) throw forbidden(`read reports as a ${kind} user without a ${kind}`);
    return id;
  }

  get isAdmin(): boolean {
    return this.user.role === 'admin';
  }

  /** The apps this user's app reports cover; advertisers have none (403). */
  async visibleApps(): Promise<App[]> {
    if (this.user.role === 'advertiser') throw forbidden('read app reports');
    return (this.apps ??= await this.store.listApps(this.user.role === 'admin' ? undefined : { publisher_id: this.tenant(this.user.publisher_id, 'publisher') }));
  }

  /** One app, or 'all' of them: its ids. Another publisher's app is not found. */
  async appIds(app: string): Promise<string[]> {
    const apps = await this.visibleApps();
    if (app === 'all') return apps.map((a) => a.id);
    if (!apps.some((a) => a.id === app)) throw notVisible('app', app);
    return [app];
  }

  async app(id: string): Promise<App> {
    const a = (await this.visibleApps()).find((x) => x.id === id);
    if (!a) throw notVisible('app', id);
    return a;
  }

  /** The campaigns this user's campaign reports cover; publishers have none (403). */
  async visibleCampaigns(): Promise<Campaign[]> {
    if (this.user.role === 'publisher') throw forbidden('read campaign reports');
    return (this.campaigns ??= await this.store.listCampaigns(this.user.role === 'admin' ? undefined : { advertiser_id: this.tenant(this.user.advertiser_id, 'advertiser') }));
  }

  async campaign(id: string): Promise<Campaign> {
    const c = (await this.visibleCampaigns()).find((x) => x.id === id);
    if (!c) throw notVisible('campaign', id);
    return c;
  }

  requireAdmin(what: string): void {
    if (!this.isAdmin) throw forbidden(what);
  }
}
