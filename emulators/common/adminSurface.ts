// The `/_admin` surface both emulators share (emulator contract: admin surface). It is not subject to
// authentication or fault injection: tests drive it to set faults, inspect rows and reset state.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { FaultInjector, faultSettingsSchema } from './faults';
import { JsonBodyError, readJson, sendJson } from './httpServer';
import { serviceProtectionOverridesSchema, type ServiceProtection } from './serviceProtection';
import { RequestStats } from './requestStats';

export const seedKindSchema = z.enum(['demo', 'empty']);
export type SeedKind = z.infer<typeof seedKindSchema>;

export const resetRequestSchema = z
  .object({
    seed: seedKindSchema.optional(),
    records: z.number().int().min(0).max(5_000_000).optional(),
    /** Dataverse only: share (0..1) of the sized accounts that stand for BC's sized customers. */
    overlap: z.number().min(0).max(1).optional(),
  })
  .strict();
export type ResetRequest = z.infer<typeof resetRequestSchema>;

export interface AdminTarget {
  faults: FaultInjector;
  limits: ServiceProtection;
  stats: RequestStats;
  /** All rows of an entity set as the API would return them, or undefined for an unknown set. */
  records(entitySet: string): unknown[] | undefined;
  reset(request: ResetRequest): Promise<void> | void;
  /** Emulator-specific routes, keyed `METHOD path` relative to /_admin (e.g. `POST webhooks/flush`). */
  extraRoutes?: Record<string, (body: unknown) => Promise<unknown> | unknown>;
}

export const ADMIN_PREFIX = '/_admin';

export function isAdminPath(pathname: string): boolean {
  return pathname === ADMIN_PREFIX || pathname.startsWith(`${ADMIN_PREFIX}/`);
}

function badRequest(res: ServerResponse, message: string): void {
  sendJson(res, 400, { error: { code: 'AdminBadRequest', message } });
}

/** Answers an /_admin request. Call only when `isAdminPath(pathname)` is true. */
export async function handleAdminRequest(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  target: AdminTarget,
): Promise<void> {
  const method = req.method ?? 'GET';
  const sub = pathname.slice(ADMIN_PREFIX.length).replace(/^\/+|\/+$/g, '');
  let body: unknown;
  try {
    body = method === 'GET' || method === 'HEAD' ? undefined : await readJson(req);
  } catch (error) {
    if (error instanceof JsonBodyError) return badRequest(res, error.message);
    throw error;
  }

  if (method === 'GET' && sub === 'health') return sendJson(res, 200, { ok: true });
  if (sub === 'faults') {
    if (method === 'GET') return sendJson(res, 200, target.faults.settings);
    if (method === 'PUT') {
      const parsed = faultSettingsSchema.safeParse(body ?? {});
      if (!parsed.success) return badRequest(res, `Invalid fault settings: ${z.prettifyError(parsed.error)}`);
      return sendJson(res, 200, target.faults.set(parsed.data));
    }
  }
  if (sub === 'limits') {
    const show = () => ({ settings: target.limits.settings, effective: target.limits.effective });
    if (method === 'GET') return sendJson(res, 200, show());
    if (method === 'PUT') {
      const parsed = serviceProtectionOverridesSchema.strict().safeParse(body ?? {});
      if (!parsed.success) return badRequest(res, `Invalid limits: ${z.prettifyError(parsed.error)}`);
      target.limits.set(parsed.data);
      return sendJson(res, 200, show());
    }
  }
  if (method === 'GET' && sub === 'stats') return sendJson(res, 200, target.stats.snapshot());
  if (method === 'GET' && sub === 'requests') return sendJson(res, 200, { value: target.stats.requestLog() });
  if (method === 'GET' && sub.startsWith('records/')) {
    const entitySet = decodeURIComponent(sub.slice('records/'.length));
    const rows = target.records(entitySet);
    if (rows === undefined) {
      return sendJson(res, 404, {
        error: { code: 'AdminNotFound', message: `Unknown entity set '${entitySet}'.` },
      });
    }
    return sendJson(res, 200, { value: rows });
  }
  if (method === 'POST' && sub === 'reset') {
    const parsed = resetRequestSchema.safeParse(body ?? {});
    if (!parsed.success) return badRequest(res, `Invalid reset request: ${z.prettifyError(parsed.error)}`);
    await target.reset(parsed.data);
    return sendJson(res, 200, { ok: true });
  }
  const extra = target.extraRoutes?.[`${method} ${sub}`];
  if (extra) return sendJson(res, 200, (await extra(body)) ?? { ok: true });
  sendJson(res, 404, {
    error: { code: 'AdminNotFound', message: `No admin route ${method} /_admin/${sub}.` },
  });
}
