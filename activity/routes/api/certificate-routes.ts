/**
 * /api/v1/certificates and /api/v1/ca: one inventory (tokens as workers last listed them + the internal
 * CA) with status, expiry ("expiring" within 30 days) and who may use each; creating the internal CA;
 * issuing (key generated in software and sealed; onto a token: `signservice ca issue --on-token`, as the
 * HTTP app never holds a token PIN); revoking with a reason; the root certificate, its installation
 * instructions and the CRL as downloads. Certificates are shared by all portals: changes need
 * `shared-write`, reading shows a portal administrator only their own portal's accounts per certificate.
 */
import { z } from 'zod';
import { describeCertificate } from '../../../shared/crypto/certificate-info.js';
import { findInventoryEntry } from '../../../shared/crypto/certificate-inventory.js';
import { REVOCATION_REASONS } from '../../../shared/crypto/internal-ca/ca-store.js';
import { createRoot } from '../../../shared/crypto/internal-ca/create-root.js';
import { issueCrl } from '../../../shared/crypto/internal-ca/crl.js';
import { exportRoot } from '../../../shared/crypto/internal-ca/export-root.js';
import { issueCertificate } from '../../../shared/crypto/internal-ca/issue-certificate.js';
import { revokeCertificate } from '../../../shared/crypto/internal-ca/revoke-certificate.js';
import { CERTIFICATE_NAME_MAX } from '../../../shared/domain/certificate-name.js';
import type { SignLogInput } from '../../../shared/domain/sign-log-entry.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import type { AdminApiDeps } from '../../admin/admin-api-deps.js';
import { type ApiRoute, type Caller, defineRoute } from '../../admin/api-route.js';
import { accountsFor } from '../../admin/portal-scope.js';
import { actorOf } from './account-routes.js';

const EXPIRING_DAYS = 30;

const ZCertificateView = z.object({
  id: z.string(),
  displayName: z.string().nullable().describe('The name an administrator gave the certificate, or null'),
  subject: z.string(),
  issuer: z.string(),
  serialNumber: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  status: z.string(),
  expiring: z.boolean().describe(`Expires within ${EXPIRING_DAYS} days`),
  internalUse: z.boolean(),
  keyType: z.string(),
  location: z.string().describe('"token <label>", "internal" or "none"'),
  accounts: z.array(z.object({ id: z.string(), login: z.string(), isDefault: z.boolean() })),
});

const ZCaView = z.object({ subject: z.string(), notAfter: z.string(), fingerprint: z.string() }).nullable();

const ZSubject = {
  commonName: z.string().trim().min(1).max(64),
  organization: z.string().trim().max(64).optional(),
};

export function certificateRoutes(deps: AdminApiDeps): ApiRoute[] {
  const log = (input: Omit<SignLogInput, 'time' | 'outcome'>) =>
    deps.store.signLog.append({ time: deps.now(), outcome: 'ok', ...input });

  const list = async (caller: Caller | undefined) => {
    const now = deps.now();
    const inventory = await deps.inventory();
    const accounts = new Map((await accountsFor(deps.store, caller)).map((a) => [a.id, a]));
    const names = new Map((await deps.store.certificateNames.list()).map((n) => [n.certId, n.name]));
    const rows = [];
    for (const e of inventory.entries) {
      const grants = (await deps.store.grants.listForCertificate(e.id)).filter((g) => accounts.has(g.accountId));
      rows.push({
        id: e.id,
        displayName: names.get(e.id) ?? null,
        subject: e.subject,
        issuer: e.issuer,
        serialNumber: e.serialNumber,
        notBefore: e.notBefore.toISOString(),
        notAfter: e.notAfter.toISOString(),
        status: e.status,
        expiring: e.status === 'valid' && e.notAfter.getTime() - now.getTime() < EXPIRING_DAYS * 86_400_000,
        internalUse: e.internalUse,
        keyType: e.keyType,
        location: e.location.kind === 'token' ? `token ${e.location.tokenLabel}` : e.location.kind,
        accounts: grants.map((g) => ({
          id: g.accountId,
          login: accounts.get(g.accountId)?.login ?? '',
          isDefault: g.isDefault,
        })),
      });
    }
    const root = await deps.caStore.loadRoot();
    const info = root ? describeCertificate(root.certificate) : undefined;
    return {
      ca: info
        ? { subject: info.subject, notAfter: info.notAfter.toISOString(), fingerprint: info.fingerprintSha256 }
        : null,
      certificates: rows,
      problems: inventory.problems,
    };
  };

  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/certificates',
      authority: 'read',
      tag: 'Certificates',
      summary: 'The certificate inventory (tokens and the internal CA) with status, expiry and who may use each',
      response: z.object({ ca: ZCaView, certificates: z.array(ZCertificateView), problems: z.array(z.string()) }),
      handler: ({ caller }) => list(caller),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/ca',
      authority: 'shared-write',
      tag: 'Certificates',
      summary: 'Create the internal CA (root certificate and key, sealed under the master key)',
      body: z.object({ ...ZSubject, country: z.string().length(2).optional() }),
      status: 201,
      response: ZCaView,
      async handler({ body, caller }) {
        const root = await createRoot({
          store: deps.caStore,
          masterKey: deps.masterKey,
          subject: body,
          publicBaseUrl: deps.publicBaseUrl,
          now: deps.now(),
        });
        const info = describeCertificate(root.certificate);
        await log({
          action: 'ca_created',
          actor: actorOf(caller),
          certificate: {
            id: info.fingerprintSha256.toLowerCase(),
            subject: info.subject,
            serialNumber: info.serialNumber,
          },
        });
        return { subject: info.subject, notAfter: info.notAfter.toISOString(), fingerprint: info.fingerprintSha256 };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/certificates',
      authority: 'shared-write',
      tag: 'Certificates',
      summary: 'Issue a document-signing certificate from the internal CA (key in software, sealed)',
      body: z.object({ ...ZSubject, email: z.email(), validityDays: z.number().int().min(1).max(3650).optional() }),
      status: 201,
      response: ZCertificateView,
      async handler({ body, caller }) {
        const record = await issueCertificate({
          store: deps.caStore,
          masterKey: deps.masterKey,
          subject: {
            commonName: body.commonName,
            email: body.email,
            ...(body.organization ? { organization: body.organization } : {}),
          },
          ...(body.validityDays ? { validityDays: body.validityDays } : {}),
          now: deps.now(),
        });
        const info = describeCertificate(record.certificate);
        await log({
          action: 'certificate_issued',
          actor: actorOf(caller),
          certificate: { id: record.id, subject: info.subject, serialNumber: record.serialNumber },
        });
        const row = (await list(caller)).certificates.find((c) => c.id === record.id);
        if (!row) throw new Error(`the issued certificate ${record.id} is not in the inventory`);
        return row;
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/certificates/:id/revoke',
      authority: 'shared-write',
      tag: 'Certificates',
      summary: 'Revoke a certificate of the internal CA and reissue the CRL',
      params: z.object({ id: z.string().min(8).max(64) }),
      body: z.object({ reason: z.enum(REVOCATION_REASONS) }),
      response: z.object({ id: z.string(), revokedAt: z.string(), reason: z.string() }),
      async handler({ params, body, caller }) {
        const result = await revokeCertificate({
          store: deps.caStore,
          masterKey: deps.masterKey,
          certificate: params.id,
          reason: body.reason,
          now: deps.now(),
        });
        const info = describeCertificate(result.record.certificate);
        await log({
          action: 'certificate_revoked',
          actor: actorOf(caller),
          certificate: { id: result.record.id, subject: info.subject, serialNumber: result.record.serialNumber },
          details: { reason: body.reason },
        });
        return { id: result.record.id, revokedAt: result.revocation.revokedAt, reason: result.revocation.reason };
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/certificates/:id/name',
      authority: 'shared-write',
      tag: 'Certificates',
      summary:
        'Give a certificate a display name people recognise (shown wherever it is chosen), or clear it with null',
      params: z.object({ id: z.string().min(8).max(64) }),
      body: z.object({ name: z.string().trim().min(1).max(CERTIFICATE_NAME_MAX).nullable() }),
      response: ZCertificateView,
      async handler({ params, body, caller }) {
        const entry = findInventoryEntry((await deps.inventory()).entries, params.id);
        const name = body.name ?? undefined;
        await deps.store.transaction(async () => {
          await deps.store.certificateNames.set(entry.id, name, deps.now());
          await log({
            action: 'certificate_named',
            actor: actorOf(caller),
            certificate: { id: entry.id, subject: entry.subject, serialNumber: entry.serialNumber },
            details: { name: name ?? '' },
          });
        });
        const row = (await list(caller)).certificates.find((c) => c.id === entry.id);
        if (!row) throw new AppError(ErrorCode.CERT_UNKNOWN, 'No such certificate in the inventory');
        return row;
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/ca/root.pem',
      authority: 'read',
      tag: 'Certificates',
      summary: 'The internal CA root certificate (PEM), to install as trusted',
      response: { download: 'application/x-pem-file' },
      handler: async () => ({
        raw: (await exportRoot(deps.caStore)).pem,
        contentType: 'application/x-pem-file',
        filename: 'root.pem',
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/ca/install-root.txt',
      authority: 'read',
      tag: 'Certificates',
      summary: 'How to install the root on Windows, macOS, Linux and in Adobe Reader (English and Russian)',
      response: { download: 'text/plain' },
      handler: async () => ({
        raw: (await exportRoot(deps.caStore)).instructions,
        contentType: 'text/plain; charset=utf-8',
        filename: 'INSTALL-ROOT.txt',
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/ca/root.crl',
      authority: 'read',
      tag: 'Certificates',
      summary: 'The current CRL of the internal CA (DER; issued now when none exists yet)',
      response: { download: 'application/pkix-crl' },
      async handler() {
        const crl =
          (await deps.caStore.loadCrl()) ??
          (await issueCrl({ store: deps.caStore, masterKey: deps.masterKey, now: deps.now() }));
        return { raw: crl, contentType: 'application/pkix-crl', filename: 'root.crl' };
      },
    }),
  ];
}
