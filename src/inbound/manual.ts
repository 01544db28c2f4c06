import { nowIso } from '../clock.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { UnparseableMessageError, type ParsedMessage } from '../mail/mime/parsedMessage.js';
import type { AppContext } from '../core/context.js';
import { findEmail } from '../store/emails.repository.js';
import { findProjectByKey } from '../store/projects.repository.js';
import { findRecordById } from '../store/records.repository.js';
import type { EmailRow } from '../store/schema.js';
import { ownAddresses } from '../emailimport/index.js';
import { isRecordType, type RecordType } from '../domain/commands.js';
import type { Decision } from './decision.js';
import { AlreadyDecided } from './fileInbound.js';
import { findInbound } from './inbound.repository.js';
import { inboundDb, type InboundRow } from './inbound.table.js';
import type { Outcome } from './outcomes.js';
import { REPROCESSABLE, fileAndForward } from './pipeline.js';
import { parseStoredMessage } from './rawMessage.js';

/**
 * An admin's decisions on stored mail (the unmatched and rejected lists): attach by hand,
 * "Create record", dismiss. They skip classify and match and enter the pipeline at the file
 * stage with a decision of their own.
 */

/** Where an admin files a message by hand: under one email, or on a record (at the top, no email). */
export type AttachTarget = { emailId: string } | { recordId: string };

/** The stored message an admin files by hand; one that cannot be parsed is a 409 the admin can read. */
export async function parseForAdmin(ctx: AppContext, row: { raw_blob: string; size: number }): Promise<ParsedMessage> {
  try {
    return await parseStoredMessage(ctx.blobs, row.raw_blob, row.size);
  } catch (err) {
    if (err instanceof UnparseableMessageError) throw conflict('unparseable_message', `The message cannot be read as an email: ${err.message}`);
    // Both blob backends say ENOENT for a blob they do not hold: a lost file, not a server fault.
    if ((err as { code?: string }).code === 'ENOENT')
      throw notFound('raw_message_missing', `The stored message (blob ${row.raw_blob}) is missing from the blob store.`);
    throw err;
  }
}

/**
 * Attaches a stored message by hand (an admin's decision for unmatched or refused mail):
 * under `emailId` it is filed as a reply and forwarded like any tracked reply; on `recordId`
 * it starts a conversation of its own on that record and is never forwarded.
 */
export async function attachManually(ctx: AppContext, inboundId: string, target: AttachTarget): Promise<Outcome> {
  const row = await findInbound(ctx.store.db, inboundId);
  if (!row) throw notFound('inbound_not_found', `No inbound message ${inboundId}.`);
  if (!REPROCESSABLE.includes(row.state)) throw conflict('inbound_already_filed', `Inbound message ${inboundId} is already ${row.state}.`);
  let place: { original: EmailRow } | { record: { id: string; project_id: string } };
  if ('emailId' in target) {
    const original = await findEmail(ctx.store.db, target.emailId);
    if (!original) throw notFound('email_not_found', `No email ${target.emailId}.`);
    if (original.deleted_at !== null) throw conflict('email_deleted', `Email ${target.emailId} was deleted; attach the message to another email.`);
    place = { original };
  } else {
    const record = await findRecordById(ctx.store.db, target.recordId);
    if (!record) throw notFound('record_not_found', `No record ${target.recordId}.`);
    place = { record: { id: record.id, project_id: record.project_id } };
  }
  const msg = await parseForAdmin(ctx, row);
  try {
    const decision: Decision =
      'original' in place ? { kind: 'reply', msg, original: place.original, via: 'manual' } : { kind: 'on_record', msg, record: place.record };
    return await fileAndForward(ctx, row, decision);
  } catch (err) {
    if (err instanceof AlreadyDecided) throw conflict('inbound_changed', 'The message was processed meanwhile; reload and try again.');
    throw err;
  }
}

/** Sets a message aside: it leaves the admin's lists and is never processed again unless asked. */
export async function dismissInbound(ctx: AppContext, inboundId: string): Promise<InboundRow> {
  const row = await findInbound(ctx.store.db, inboundId);
  if (!row) throw notFound('inbound_not_found', `No inbound message ${inboundId}.`);
  if (row.state === 'dismissed') return row;
  if (row.state !== 'unmatched' && row.state !== 'rejected') {
    throw conflict('inbound_already_filed', `Only unmatched or rejected messages can be dismissed; this one is ${row.state}.`);
  }
  await inboundDb(ctx.store.db)
    .updateTable('inbound_messages')
    .set({ state: 'dismissed', processed_at: nowIso() })
    .where('id', '=', row.id)
    .where('state', '=', row.state)
    .execute();
  return (await findInbound(ctx.store.db, inboundId)) ?? row;
}

export interface CreateFromInboundInput {
  projectKey: string;
  type: string;
  /** Default: the subject with tags and Re:/Fwd: stripped. */
  title?: string;
  /** Send the acknowledgement to the sender (default true; never to lists or our own addresses). */
  acknowledge?: boolean;
}

/**
 * "Create record" in the unmatched view: an admin makes a new record from a stored message,
 * whatever the project's "who may create" and rate limit say; the message becomes the record's
 * first inbound email, its sender, To and Cc the participants, as with a record made by import.
 */
export async function createRecordFromInbound(ctx: AppContext, inboundId: string, input: CreateFromInboundInput): Promise<Outcome> {
  const row = await findInbound(ctx.store.db, inboundId);
  if (!row) throw notFound('inbound_not_found', `No inbound message ${inboundId}.`);
  if (!REPROCESSABLE.includes(row.state)) throw conflict('inbound_already_filed', `Inbound message ${inboundId} is already ${row.state}.`);
  const project = await findProjectByKey(ctx.store.db, input.projectKey);
  if (!project) throw notFound('project_not_found', `There is no project "${input.projectKey}".`);
  if (!isRecordType(input.type)) throw badRequest('invalid_record_type', `"${input.type}" is not a record type.`);
  const msg = await parseForAdmin(ctx, row);
  const sender = msg.from?.address.toLowerCase() ?? '';
  if (sender && (await ownAddresses(ctx.store.db)).has(sender))
    throw conflict('import_own_mail', `${sender} is one of our own addresses; no record is made from our own mail.`);
  const title = input.title?.trim();
  const decision: Decision = {
    kind: 'create_record',
    msg,
    route: { projectId: project.id, recordType: input.type as RecordType, defaults: {}, acknowledge: input.acknowledge !== false && sender !== '' },
    ...(title ? { title } : {}),
    manual: true,
  };
  try {
    return await fileAndForward(ctx, row, decision);
  } catch (err) {
    if (err instanceof AlreadyDecided) throw conflict('inbound_changed', 'The message was processed meanwhile; reload and try again.');
    throw err;
  }
}
