/**
 * Seeding deals with file fields for tests, and reading them back with the bytes of the files they hold now.
 */
import type { PortalState, UserField } from './portal-state.js';

/** A deal to create; `files` maps a file field to its files (the field is created, multiple, if unknown). */
export interface DealSeed {
  title: string;
  assignedById?: number;
  stageId?: string;
  files?: Record<string, { name: string; bytes: Buffer }[]>;
}

/** A deal as tests read it back: every file field with the bytes of the files it holds now. */
export interface DealSnapshot {
  id: number;
  title: string;
  stageId: string;
  assignedById: number;
  updatedBy: number;
  files: Record<string, { id: number; name: string; bytes: Buffer }[]>;
  values: Record<string, unknown>;
}

/** Defines a deal file field (`USER_TYPE_ID = file`). */
export function defineFileField(
  portal: PortalState,
  fieldName: string,
  options: { multiple: boolean; label?: string },
): UserField {
  if (!/^UF_CRM_[A-Z0-9_]+$/.test(fieldName)) throw new Error(`"${fieldName}" is not a UF_CRM_… field name`);
  if (portal.userFields.has(fieldName)) throw new Error(`field ${fieldName} exists already`);
  const field: UserField = {
    id: portal.nextId('userfield', 5000),
    fieldName,
    userTypeId: 'file',
    multiple: options.multiple,
    label: options.label ?? fieldName,
  };
  portal.userFields.set(fieldName, field);
  return { ...field };
}

/** Creates a deal owned by `assignedById` (default: the installing admin). */
export function seedDeal(portal: PortalState, seed: DealSeed, nowMs: number): DealSnapshot {
  const id = portal.nextId('deal');
  const files = new Map<string, number[]>();
  for (const [fieldName, list] of Object.entries(seed.files ?? {})) {
    if (!portal.userFields.has(fieldName)) defineFileField(portal, fieldName, { multiple: true });
    const field = portal.userFields.get(fieldName) as UserField;
    if (field.userTypeId !== 'file') throw new Error(`${fieldName} is not a file field`);
    if (!field.multiple && list.length > 1) throw new Error(`${fieldName} holds one file`);
    files.set(
      fieldName,
      list.map((file) => portal.addFile(file.name, file.bytes).id),
    );
  }
  const owner = seed.assignedById ?? portal.installerUserId;
  portal.deals.set(id, {
    id,
    title: seed.title,
    stageId: seed.stageId ?? 'NEW',
    categoryId: 0,
    assignedById: owner,
    createdBy: owner,
    updatedBy: owner,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    opportunity: 0,
    currencyId: 'EUR',
    files,
    values: new Map(),
  });
  return snapshotDeal(portal, id) as DealSnapshot;
}

/** The deal as it is now, or undefined. */
export function snapshotDeal(portal: PortalState, id: number): DealSnapshot | undefined {
  const deal = portal.deals.get(id);
  if (deal === undefined) return undefined;
  const files: DealSnapshot['files'] = {};
  for (const [fieldName, ids] of deal.files) {
    files[fieldName] = ids.map((fileId) => {
      const file = portal.files.get(fileId);
      if (file === undefined) throw new Error(`deal ${id} refers to a missing file ${fileId}`);
      return { id: file.id, name: file.name, bytes: Buffer.from(file.bytes) };
    });
  }
  const { title, stageId, assignedById, updatedBy } = deal;
  return { id, title, stageId, assignedById, updatedBy, files, values: Object.fromEntries(deal.values) };
}
