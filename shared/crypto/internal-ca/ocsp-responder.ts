/**
 * The internal CA's OCSP responder [RFC 6960]: answers for certificates of the root — `good` for a certificate
 * it issued and did not revoke, `revoked` with the time and reason, `unknown` for a serial it never issued —
 * signed by the delegated responder (ocsp-signer.ts), with the nonce echoed when the request has one
 * (§4.4.1). Requests for another issuer get `unauthorized`, unreadable ones `malformedRequest` (§2.3).
 */
import { createHash, sign } from 'node:crypto';
import { describeCertificate } from '../certificate-info.js';
import { explicit, generalizedTime, nullValue, octetString, oid, raw, sequence, Tag, tlv } from '../der.js';
import { OID } from '../oids.js';
import { type CertId, issuerHashes, parseOcspRequest, publicKeyBits, sameSerial } from '../revocation/ocsp-request.js';
import type { CaStore, IssuedRecord, RevocationRecord } from './ca-store.js';
import { REASON_CODES } from './crl.js';
import type { OcspSigner } from './ocsp-signer.js';

/** How long an answer may be relied on (and cached). */
const ANSWER_VALIDITY_MS = 24 * 3_600_000;

/** OCSPResponseStatus values [RFC 6960 §4.2.1]. */
const STATUS = { successful: 0, malformedRequest: 1, internalError: 2, unauthorized: 6 } as const;

/** An answer without responseBytes. */
function statusOnly(status: number): Buffer {
  return sequence(tlv(0x0a, Buffer.from([status])));
}

export interface OcspResponderDeps {
  store: CaStore;
  /** The responder certificate and key (renewed by the caller when due). */
  signer: () => Promise<OcspSigner>;
  /** @default () => new Date() */
  now?: () => Date;
}

/** Answers one DER OCSPRequest with a DER OCSPResponse; never throws for bad input. */
export async function answerOcspRequest(request: Buffer, deps: OcspResponderDeps): Promise<Buffer> {
  let parsed: ReturnType<typeof parseOcspRequest>;
  try {
    parsed = parseOcspRequest(request);
  } catch {
    return statusOnly(STATUS.malformedRequest);
  }
  const root = await deps.store.loadRoot();
  if (!root) return statusOnly(STATUS.unauthorized);
  const rootInfo = describeCertificate(root.certificate);
  const ours = (id: CertId) => {
    const hashes = issuerHashes(rootInfo, id.hashAlgorithm);
    return hashes?.nameHash.equals(id.issuerNameHash) === true && hashes.keyHash.equals(id.issuerKeyHash);
  };
  if (!parsed.certIds.every(ours)) return statusOnly(STATUS.unauthorized);
  const [issued, revocations, signer] = await Promise.all([
    deps.store.listIssued(),
    deps.store.listRevocations(),
    deps.signer(),
  ]);
  const now = new Date(Math.floor((deps.now ?? (() => new Date()))().getTime() / 1000) * 1000);
  const singles = parsed.certIds.map((id) => singleResponse(id, statusOf(id, issued, revocations, signer), now));
  const extensions = parsed.nonceExtensionValue
    ? [explicit(1, sequence(sequence(oid(OID.ocspNonce), octetString(parsed.nonceExtensionValue))))]
    : [];
  const signerInfo = describeCertificate(signer.certificate);
  const responderKeyHash = createHash('sha1').update(publicKeyBits(signerInfo)).digest();
  const tbs = sequence(
    explicit(2, octetString(responderKeyHash)), // ResponderID byKey [RFC 6960 §4.2.2.3]
    generalizedTime(now),
    sequence(...singles),
    ...extensions,
  );
  const rsa = signer.keyType !== 'ec-p256';
  const algorithm = rsa ? sequence(oid(OID.sha256WithRSAEncryption), nullValue()) : sequence(oid(OID.ecdsaWithSHA256));
  const signature = sign('sha256', tbs, signer.key);
  const basic = sequence(
    tbs,
    algorithm,
    tlv(Tag.BIT_STRING, Buffer.concat([Buffer.from([0]), signature])),
    explicit(0, sequence(raw(signer.certificate))),
  );
  return sequence(
    tlv(0x0a, Buffer.from([STATUS.successful])),
    explicit(0, sequence(oid(OID.ocspBasic), octetString(basic))),
  );
}

type Status = { kind: 'good' } | { kind: 'unknown' } | { kind: 'revoked'; at: Date; reason: number };

function statusOf(id: CertId, issued: IssuedRecord[], revocations: RevocationRecord[], signer: OcspSigner): Status {
  const serialOf = (hex: string) => Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  if (sameSerial(id.serialNumber, describeCertificate(signer.certificate).serialNumberContent)) return { kind: 'good' };
  const record = issued.find((r) => sameSerial(serialOf(r.serialNumber), id.serialNumber));
  if (!record) return { kind: 'unknown' };
  const revocation = revocations.find((r) => r.id === record.id);
  if (!revocation) return { kind: 'good' };
  return { kind: 'revoked', at: new Date(revocation.revokedAt), reason: REASON_CODES[revocation.reason] };
}

/** SingleResponse { certID, certStatus, thisUpdate, nextUpdate [0] } [RFC 6960 §4.2.1]. */
function singleResponse(id: CertId, status: Status, now: Date): Buffer {
  let certStatus: Buffer;
  if (status.kind === 'good') certStatus = Buffer.from([0x80, 0x00]);
  else if (status.kind === 'unknown') certStatus = Buffer.from([0x82, 0x00]);
  else {
    // revoked [1] IMPLICIT RevokedInfo { revocationTime, revocationReason [0] EXPLICIT CRLReason }
    const info = Buffer.concat([
      generalizedTime(new Date(Math.floor(status.at.getTime() / 1000) * 1000)),
      explicit(0, tlv(0x0a, Buffer.from([status.reason]))),
    ]);
    certStatus = tlv(0xa1, info);
  }
  return sequence(
    raw(id.der),
    certStatus,
    generalizedTime(now),
    explicit(0, generalizedTime(new Date(now.getTime() + ANSWER_VALIDITY_MS))),
  );
}
