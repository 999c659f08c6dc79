/**
 * Admin CRUD over the campaign model and the tenants (publishers, apps, slots, advertisers,
 * campaigns, line items, creatives, users), and the targeting check with its slot preview.
 * Every route answers 403 to anyone but an admin. A line item's targeting is checked before
 * the store sees it; the error says where the expression goes wrong.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { checkTargeting } from '../../common/targeting/compile.js';
import type { ReportStore } from '../../store/store.js';
import { badRequest, notVisible } from '../errors.js';
import { pageRows } from '../paging.js';
import { hashPassword } from '../passwords.js';
import type { UiAppOptions } from '../server.js';
import { previewTargeting } from '../targeting-preview.js';
import { respond } from '../respond.js';

type Body = Record<string, unknown>;
interface Crud {
  list(q: Record<string, string | undefined>): Promise<unknown[]>;
  get(id: string): Promise<unknown>;
  create(b: Body): Promise<unknown>;
  update(id: string, b: Body): Promise<unknown>;
  delete(id: string): Promise<void>;
}

function targetingOk(b: Body): void {
  if (typeof b.targeting !== 'string') return;
  const c = checkTargeting(b.targeting);
  if (!c.ok) throw badRequest(`targeting: ${c.message}`, { field: 'targeting', message: c.message, position: c.position });
}

function entities(s: ReportStore, o: UiAppOptions): Record<string, Crud> {
  const noUpdate = async () => {
    throw badRequest('users are not edited: delete the user and create it again');
  };
  return {
    publishers: { list: () => s.listPublishers(), get: (id) => s.getPublisher(id), create: (b) => s.createPublisher(b as never), update: (id, b) => s.updatePublisher(id, b as never), delete: (id) => s.deletePublisher(id) },
    apps: { list: (q) => s.listApps(q.publisher_id ? { publisher_id: q.publisher_id } : undefined), get: (id) => s.getApp(id), create: (b) => s.createApp(b as never), update: (id, b) => s.updateApp(id, b as never), delete: (id) => s.deleteApp(id) },
    slots: { list: (q) => s.listSlots(q.app_id ? { app_id: q.app_id } : undefined), get: (id) => s.getSlot(id), create: (b) => s.createSlot(b as never), update: (id, b) => s.updateSlot(id, b as never), delete: (id) => s.deleteSlot(id) },
    advertisers: { list: () => s.listAdvertisers(), get: (id) => s.getAdvertiser(id), create: (b) => s.createAdvertiser(b as never), update: (id, b) => s.updateAdvertiser(id, b as never), delete: (id) => s.deleteAdvertiser(id) },
    campaigns: { list: (q) => s.listCampaigns(q.advertiser_id ? { advertiser_id: q.advertiser_id } : undefined), get: (id) => s.getCampaign(id), create: (b) => s.createCampaign(b as never), update: (id, b) => s.updateCampaign(id, b as never), delete: (id) => s.deleteCampaign(id) },
    'line-items': {
      list: (q) => s.listLineItems(q.campaign_id ? { campaign_id: q.campaign_id } : undefined), get: (id) => s.getLineItem(id),
      create: (b) => (targetingOk(b), s.createLineItem(b as never)), update: (id, b) => (targetingOk(b), s.updateLineItem(id, b as never)), delete: (id) => s.deleteLineItem(id),
    },
    creatives: { list: (q) => s.listCreatives(q.line_item_id ? { line_item_id: q.line_item_id } : undefined), get: (id) => s.getCreative(id), create: (b) => s.createCreative(b as never), update: (id, b) => s.updateCreative(id, b as never), delete: (id) => s.deleteCreative(id) },
    users: {
      list: () => s.listUsers(), get: (id) => s.getUser(id),
      create: async (b) => {
        if (typeof b.password !== 'string' || b.password.length < 8) throw badRequest('password: at least 8 characters', { field: 'password' });
        return s.createUser({ email: String(b.email ?? ''), role: b.role as never, publisher_id: (b.publisher_id as string) ?? null, advertiser_id: (b.advertiser_id as string) ?? null, password_hash: await hashPassword(b.password) });
      },
      update: noUpdate,
      delete: async (id) => {
        await s.deleteUser(id);
        o.sessions.endUser(id);
      },
    },
  };
}

/** The CRUD of an entity of the route's pattern (its schema allows only these names). */
function crudOf(crud: Record<string, Crud>, entity: string): Crud {
  const c = Object.hasOwn(crud, entity) ? crud[entity] : undefined;
  if (c === undefined) throw notVisible('entity', entity);
  return c;
}

export function adminRoutes(o: UiAppOptions) {
  const crud = entities(o.store, o);
  const names = Object.keys(crud);
  const EntityParam = Type.Object({ entity: Type.Union(names.map((n) => Type.Literal(n))) });
  const EntityIdParam = Type.Object({ entity: Type.Union(names.map((n) => Type.Literal(n))), id: Type.String() });
  const tags = ['admin'];
  return async (app: FastifyInstance) => {
    // Every route of this plugin is for admins; the server's onRequest hook enforces it on the matched route.
    app.addHook('onRoute', (r) => {
      r.config = { ...r.config, access: 'admin' };
    });
    app.get('/api/admin/:entity', { schema: { tags, summary: 'list (filter by parent: ?publisher_id, ?app_id, ?advertiser_id, ?campaign_id, ?line_item_id; format=csv; paged with ?limit (1–1000) and ?offset, answering total)', params: EntityParam } }, async (req, reply) => {
      const { entity } = req.params as { entity: string };
      const { limit, offset, ...filter } = req.query as Record<string, string>;
      // Opt-in paging (reporting-ui/paging.ts): with limit, one page and the total; CSV always complete.
      const p = pageRows((await crudOf(crud, entity).list(filter)) as Record<string, unknown>[], { limit, offset, format: filter.format });
      return respond(req, reply, { [entity]: p.rows, total: p.total, limit: p.limit, offset: p.offset }, entity);
    });
    app.get('/api/admin/:entity/:id', { schema: { tags, summary: 'one', params: EntityIdParam } }, async (req) => {
      const { entity, id } = req.params as { entity: string; id: string };
      const x = await crudOf(crud, entity).get(id);
      if (!x) throw notVisible(entity.replace(/s$/, ''), id);
      return x;
    });
    app.post('/api/admin/:entity', { schema: { tags, summary: 'create', params: EntityParam, body: Type.Object({}, { additionalProperties: true }) } }, async (req, reply) => {
      const { entity } = req.params as { entity: string };
      return reply.code(201).send(await crudOf(crud, entity).create(req.body as Body));
    });
    app.patch('/api/admin/:entity/:id', { schema: { tags, summary: 'change some fields', params: EntityIdParam, body: Type.Object({}, { additionalProperties: true }) } }, async (req) => {
      const { entity, id } = req.params as { entity: string; id: string };
      return crudOf(crud, entity).update(id, req.body as Body);
    });
    app.delete('/api/admin/:entity/:id', { schema: { tags, summary: 'delete (cascades to children)', params: EntityIdParam } }, async (req, reply) => {
      const { entity, id } = req.params as { entity: string; id: string };
      await crudOf(crud, entity).delete(id);
      return reply.code(204).send();
    });
    app.post('/api/admin/targeting/check', {
      schema: { tags, summary: 'check a targeting expression; preview the slots it can serve in', body: Type.Object({ targeting: Type.String({ maxLength: 10_000 }), slot_ids: Type.Optional(Type.Array(Type.String())), sizes: Type.Optional(Type.Array(Type.String())) }) },
    }, async (req) => {
      const b = req.body as { targeting: string; slot_ids?: string[]; sizes?: string[] };
      const [apps, slots] = await Promise.all([o.store.listApps(), o.store.listSlots()]);
      return previewTargeting({ targeting: b.targeting, slot_ids: b.slot_ids ?? [], sizes: b.sizes ?? [] }, apps, slots);
    });
  };
}
