/**
 * Service-wide choices the operator makes in the panel: whether portal administrators may change the
 * shared certificates (issue, revoke, create the CA) and whether signers may ask for a new enrollment
 * link themselves (My signing). Both off by default: the shared things stay with the operator.
 */
import { z } from 'zod';
import type { Store } from '../store/store-ports.js';

export const ZAdminSettings = z.object({
  portalAdminsManageCertificates: z.boolean().describe('Portal administrators may issue and revoke certificates'),
  selfServiceEnrollment: z.boolean().describe('Signers may e-mail themselves a new enrollment link'),
});
export type AdminSettings = z.infer<typeof ZAdminSettings>;

const DEFAULTS: AdminSettings = { portalAdminsManageCertificates: false, selfServiceEnrollment: false };
const KEY = 'admin';

export async function readAdminSettings(store: Store): Promise<AdminSettings> {
  const stored = ZAdminSettings.partial().safeParse(await store.admin.settings.get(KEY));
  return { ...DEFAULTS, ...(stored.success ? stored.data : {}) };
}

export async function writeAdminSettings(store: Store, change: Partial<AdminSettings>): Promise<AdminSettings> {
  const next = { ...(await readAdminSettings(store)), ...change };
  await store.admin.settings.set(KEY, next);
  return next;
}
