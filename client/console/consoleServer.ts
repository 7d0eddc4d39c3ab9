// The operator console (`bcsync console`, and part of `npm start`): a small server-rendered web app over
// the same stores and workflow messages as the CLI. Pages are Eta templates with escaping on (every value
// a record or an API gave is text, never markup); actions are plain form posts, so the page needs no
// script and no build step. Nothing secret is ever handed to a template: connector settings stay in the
// connectors, and error texts were redacted where they were made.
import { join } from 'node:path';
import formbody from '@fastify/formbody';
import type { Client } from '@temporalio/client';
import { Eta } from 'eta';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  coupledRecordActions,
  RecordActionError,
  type CoupledRecordActions,
} from '../../activities/engine/coupledRecordActions';
import type { TableClient } from '../../activities/connectors/types';
import { findMapping, type EffectiveMappings } from '../../activities/mappings/mappingConfig';
import type { Database } from '../../activities/store/database';
import { latestBudgets } from '../../activities/store/apiBudgets';
import { loadBudgetLimits, type BudgetLimitSettings } from '../../activities/connectors/connectorConfig';
import { JobLogStore } from '../../activities/store/jobLog';
import { LineageStore } from '../../activities/store/lineage';
import { RetryQueueStore } from '../../activities/store/retryQueue';
import type { RunNowRequest, RunResult } from '../../common/jobQueue';
import { projectRoot } from '../../devservers/paths';
import { bcChangedSignal, holdUpdate, resumeUpdate, runNowUpdate } from '../../workflows/messages';
import { describeEntry, entryDefinitions, entryHandle, entryJson, resolveEntry } from '../jobQueueEntries';
import { openErrorsOf, readRecordStory } from '../recordStory';
import { decisionText, directionArrow, eventText } from '../recordStoryText';
import { tableTime } from '../tableTime';
import { BUDGET_COLUMNS, budgetCells, budgetRows, NO_BUDGET_YET } from '../budgetText';
import { entryQueryLinks, workflowRunUrl, type TemporalUi } from '../temporalUiLinks';
import { admit, consoleAccess } from './consoleAccess';

export interface ConsoleDeps {
  temporal: Client;
  database: Database;
  mappings: EffectiveMappings;
  /** BC and Dataverse, for Find for Deleted, Restore and Delete (they look at the records). */
  connectors?: { bc: TableClient; crm: TableClient };
  /** Where the Temporal UI's links point. */
  ui: TemporalUi;
  /** The throttling limits the workers use (settings `limits`); the defaults when not given. */
  limits?: BudgetLimitSettings;
}

export interface ConsoleOptions {
  host: string;
  port: number;
  /** BCSYNC_CONSOLE_TOKEN; a random token is made when bound beyond loopback without one. */
  token?: string;
}

export interface RunningConsole {
  url: string;
  /** The address to open: with `?token=` when a token is required. */
  openUrl: string;
  close(): Promise<void>;
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EntryAction = z.enum(['run', 'hold', 'resume', 'reactivate']);
const RecordAction = z.enum(['retry', 'restore', 'delete', 'remove-coupling']);
const ActionForm = z.object({ id: z.string().trim().optional(), all: z.string().optional() });

/** A user's mistake (unknown mapping, bad id): shown on the page as a message, status 400. */
class BadRequest extends Error {}

export async function startConsole(deps: ConsoleDeps, opts: ConsoleOptions): Promise<RunningConsole> {
  const access = consoleAccess(opts.host, opts.token);
  const eta = new Eta({
    views: join(projectRoot, 'client', 'console', 'views'),
    autoEscape: true,
    cache: true,
  });
  const app = Fastify({ logger: false });
  await app.register(formbody);
  const defs = entryDefinitions(deps.mappings);

  app.addHook('onRequest', async (req, reply) => {
    if (!admit(access, req, reply)) return reply;
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    // No script runs on these pages and nothing may frame them.
    void reply.header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    );
    void reply.header('x-content-type-options', 'nosniff');
    // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on the forms.
    void reply.header('referrer-policy', 'same-origin');
    return payload;
  });

  const page = (reply: FastifyReply, view: string, data: object, status = 200) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(eta.render(view, { ...data, links: entryQueryLinks(deps.ui), time: tableTime }));

  const mappingOf = (name: string) => {
    const m = findMapping(deps.mappings.mappings, name);
    if (!m) throw new BadRequest(`no mapping "${name}"`);
    return m;
  };
  const actionsFor = (name: string): CoupledRecordActions =>
    coupledRecordActions({
      db: deps.database,
      mapping: mappingOf(name),
      by: 'console',
      ...(deps.connectors ?? {}),
    });
  const back = (reply: FastifyReply, to: string, message: string) =>
    reply.redirect(`${to}${to.includes('?') ? '&' : '?'}msg=${encodeURIComponent(message)}`, 303);
  const msg = (req: FastifyRequest) => (req.query as { msg?: string }).msg ?? null;

  app.setErrorHandler(async (err, req, reply) => {
    const known = err instanceof BadRequest || err instanceof RecordActionError;
    return page(
      reply,
      'error',
      {
        title: 'Cannot do that',
        message: known ? err.message : `internal error: ${(err as Error).message}`,
        path: req.url,
      },
      known ? 400 : 500,
    );
  });

  app.get('/', async (req, reply) => {
    const views = await Promise.all(defs.map((d) => describeEntry(deps.temporal, d, 3000)));
    const entries = views.map((v) => ({
      ...entryJson(v),
      execution: v.execution,
      temporalUrl: v.workflowId ? workflowRunUrl(deps.ui, v.workflowId, v.runId) : null,
    }));
    return page(reply, 'entries', { title: 'Entries', entries, msg: msg(req) });
  });

  app.post('/entries/:entry/:action', async (req, reply) => {
    const { entry, action } = req.params as { entry: string; action: string };
    const parsed = EntryAction.safeParse(action);
    if (!parsed.success) throw new BadRequest(`unknown entry action "${action}"`);
    const def = resolveEntryOr400(defs, entry);
    const handle = entryHandle(deps.temporal, def);
    let message: string;
    switch (parsed.data) {
      case 'run': {
        const r = await handle.executeUpdate<RunResult, [RunNowRequest]>(runNowUpdate.name, { args: [{}] });
        message = `${def.entry} ran: inserted ${r.inserted}, modified ${r.modified}, unchanged ${r.unchanged}, skipped ${r.skipped}, failed ${r.failed}`;
        break;
      }
      case 'hold':
        message = `${def.entry} is ${(await handle.executeUpdate(holdUpdate)).state}`;
        break;
      case 'resume':
        message = `${def.entry} is ${(await handle.executeUpdate(resumeUpdate)).state}`;
        break;
      case 'reactivate':
        await handle.signal(bcChangedSignal, {
          resource: 'reactivated in the console',
          at: new Date().toISOString(),
        });
        message = `${def.entry}: wake-up sent`;
        break;
    }
    return back(reply, '/', message);
  });

  app.get('/log', async (req, reply) => {
    const rows = await new JobLogStore(deps.database.cols.jobLog).list({ limit: 100 });
    return page(reply, 'log', {
      title: 'Job log',
      rows: rows.map((r) => ({
        ...r,
        arrow: r.direction === 'ToIntegrationTable' ? 'BC -> CRM' : 'CRM -> BC',
        temporalUrl: r.workflowId ? workflowRunUrl(deps.ui, r.workflowId, r.runId) : null,
      })),
      msg: msg(req),
    });
  });

  // The budgets live in the base database, which is the one the console serves (the default company's).
  app.get('/budgets', async (req, reply) => {
    const now = Date.now();
    const rows = budgetRows(await latestBudgets(deps.database.db), deps.limits ?? loadBudgetLimits({}), now);
    return page(reply, 'budgets', {
      title: 'Budgets',
      head: BUDGET_COLUMNS,
      rows: rows.map((r) => ({ identity: r.identity, cells: budgetCells(r, now) })),
      empty: NO_BUDGET_YET,
      msg: msg(req),
    });
  });

  app.get('/errors', async (req, reply) => {
    const docs = await new RetryQueueStore(deps.database.db).all();
    const errors = (
      await openErrorsOf(
        deps.database,
        docs.filter((d) => d.lastJobId || d.skipped),
      )
    ).map((e) => ({
      ...e,
      arrow: directionArrow(e.direction),
      side: e.direction === 'toCrm' ? 'bc' : 'crm',
    }));
    errors.sort((a, b) => b.at.localeCompare(a.at));
    return page(reply, 'errors', {
      title: 'Errors',
      errors,
      mappings: deps.mappings.mappings.map((m) => m.name),
      canFindDeleted: !!deps.connectors,
      msg: msg(req),
    });
  });

  app.get('/deleted', async (req, reply) => {
    const { mapping } = req.query as { mapping?: string };
    if (!mapping) throw new BadRequest('choose a mapping');
    if (!deps.connectors) throw new BadRequest('Find for Deleted needs the BC and Dataverse connections');
    const rows = await actionsFor(mapping).findDeleted();
    return page(reply, 'deleted', {
      title: `Deleted records: ${mappingOf(mapping).name}`,
      mapping: mappingOf(mapping).name,
      rows,
      msg: msg(req),
    });
  });

  app.post('/records/:mapping/:action', async (req, reply) => {
    const { mapping, action } = req.params as { mapping: string; action: string };
    const parsed = RecordAction.safeParse(action);
    if (!parsed.success) throw new BadRequest(`unknown record action "${action}"`);
    const form = ActionForm.parse(req.body ?? {});
    const target = form.all === 'yes' ? 'all' : (form.id ?? '').toLowerCase();
    if (target !== 'all' && !guid.test(target))
      throw new BadRequest(`"${form.id ?? ''}" is not a record id (GUID)`);
    const m = mappingOf(mapping);
    const a = actionsFor(m.name);
    const returnTo = safeReturn((req.body as { returnTo?: string } | undefined)?.returnTo);
    switch (parsed.data) {
      case 'retry': {
        const ids = await a.retry(target);
        return back(
          reply,
          returnTo,
          ids.length
            ? `${m.name}: ${ids.length} record(s) will be tried again at the next run`
            : `${m.name}: nothing was skipped`,
        );
      }
      case 'restore': {
        const rows = await a.restore(target);
        return back(
          reply,
          returnTo,
          `${m.name}: ${rows.length} record(s) will be created again at the next run`,
        );
      }
      case 'delete': {
        const { deleted, refused } = await a.delete(target);
        const refusedText = refused
          .map((r) => ` ${r.missing === 'crm' ? r.bcId : r.crmId} was not deleted: ${r.error}.`)
          .join('');
        return back(
          reply,
          returnTo,
          `${m.name}: ${deleted.length} record(s) deleted and uncoupled.${refusedText}`,
        );
      }
      case 'remove-coupling': {
        if (target === 'all') throw new BadRequest('remove one coupling at a time');
        const c = await a.removeCoupling(target);
        return back(
          reply,
          returnTo,
          `${m.name}: BC ${c.bcId} and CRM ${c.crmId ?? '(none)'} are no longer coupled`,
        );
      }
    }
  });

  app.get('/records', async (req, reply) => {
    const { mapping, q } = req.query as { mapping?: string; q?: string };
    const text = (q ?? '').trim();
    const mappings = deps.mappings.mappings.map((m) => m.name);
    if (!text)
      return page(reply, 'records', {
        title: 'Records',
        mappings,
        mapping: mapping ?? '',
        q: '',
        found: null,
        msg: msg(req),
      });
    const names = mapping ? [mappingOf(mapping).name] : mappings;
    if (guid.test(text)) {
      // An id: the first mapping with a coupling or lineage of it, as BC id then as CRM id.
      for (const name of names) {
        const lineage = new LineageStore(deps.database.db);
        for (const side of ['bc', 'crm'] as const) {
          const id = text.toLowerCase();
          const coupled =
            side === 'bc'
              ? await deps.database.cols.couplings.findOne({ _id: `${name}|${id}` })
              : await deps.database.cols.couplings.findOne({ mapping: name, crmId: id });
          const seen =
            coupled ??
            (await lineage.history({ mapping: name, [side === 'bc' ? 'bcId' : 'crmId']: id, limit: 1 }))[0];
          if (seen) return reply.redirect(`/records/${encodeURIComponent(name)}?${side}=${id}`, 303);
        }
      }
      return page(reply, 'records', {
        title: 'Records',
        mappings,
        mapping: mapping ?? '',
        q: text,
        found: [],
        msg: msg(req),
      });
    }
    const found = (
      await Promise.all(
        names.map(async (name) =>
          (await new LineageStore(deps.database.db).findByLabel(name, text)).map((f) => ({
            mapping: name,
            ...f,
          })),
        ),
      )
    ).flat();
    if (found.length === 1) {
      const f = found[0]!;
      return reply.redirect(
        `/records/${encodeURIComponent(f.mapping)}?${f.bcId ? `bc=${f.bcId}` : `crm=${f.crmId}`}`,
        303,
      );
    }
    return page(reply, 'records', {
      title: 'Records',
      mappings,
      mapping: mapping ?? '',
      q: text,
      found,
      msg: msg(req),
    });
  });

  app.get('/records/:mapping', async (req, reply) => {
    const { mapping } = req.params as { mapping: string };
    const { bc, crm } = req.query as { bc?: string; crm?: string };
    const m = mappingOf(mapping);
    for (const id of [bc, crm])
      if (id !== undefined && !guid.test(id)) throw new BadRequest(`"${id}" is not a record id (GUID)`);
    if (!bc && !crm) throw new BadRequest('give ?bc=<id> or ?crm=<id>');
    const def = resolveEntry(defs, m.jobQueue.entry);
    const view = await describeEntry(deps.temporal, def, 3000);
    const story = await readRecordStory(deps.database, m, { bcId: bc, crmId: crm }, view.status, deps.ui);
    return page(reply, 'record', {
      title: `${m.name}: ${story.label ?? story.bcId ?? story.crmId}`,
      story,
      events: story.history.map((e) => ({
        ...e,
        arrow: directionArrow(e.direction),
        decisionText: decisionText(e),
        text: eventText(e),
      })),
      errors: story.openErrors.map((e) => ({ ...e, arrow: directionArrow(e.direction) })),
      returnTo: req.url,
      msg: msg(req),
    });
  });

  await app.listen({ host: opts.host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const hostPart = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${hostPart}:${port}`;
  return {
    url,
    openUrl: access.token ? `${url}/?token=${encodeURIComponent(access.token)}` : url,
    close: () => app.close(),
  };
}

function resolveEntryOr400(defs: ReturnType<typeof entryDefinitions>, name: string) {
  try {
    return resolveEntry(defs, name);
  } catch (err) {
    throw new BadRequest((err as Error).message);
  }
}

/** Only this console's own pages are places to return to after an action. */
function safeReturn(to: string | undefined): string {
  return to && to.startsWith('/') && !to.startsWith('//') ? to.replace(/[?&]msg=[^&]*/g, '') : '/errors';
}
