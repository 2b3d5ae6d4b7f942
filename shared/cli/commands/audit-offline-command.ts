/**
 * `signservice audit verify --offline FILE [--cert FILE]`: verifies a JSON Lines export with public
 * material alone (no data directory, no store, no master key). The certificate to trust is the one given
 * with --cert (kept apart from the service: `audit export-cert`); without it, the one inside the export is
 * used and the report says so, since whoever could edit the export could also have replaced it.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { certificateSha256 } from '../../audit/sign-log-service-key.js';
import { type TrustedCertificate, verifySignLogExport } from '../../audit/verify-sign-log-export.js';
import { AppError, ErrorCode } from '../../errors.js';
import { formatExportReport } from '../audit-format.js';
import { readFileFor } from '../cli-args.js';

/** A certificate from PEM or DER bytes. @throws AppError KEY_INVALID naming `what`. */
function trusted(bytes: Buffer | string, what: string): TrustedCertificate {
  try {
    const x509 = new X509Certificate(bytes);
    return { x509, sha256: certificateSha256(x509.raw) };
  } catch (error) {
    throw new AppError(ErrorCode.KEY_INVALID, `${what} is not an X.509 certificate (PEM or DER)`, { cause: error });
  }
}

/** Runs the offline verification and prints its report; exit 0 (OK) or 1 (BROKEN). */
export async function verifyOffline(file: string, certFile: string | undefined): Promise<number> {
  if (!fs.existsSync(file))
    throw new AppError(ErrorCode.FILE_IO, `Cannot read the export ${file}: no such file or folder`);
  const given = certFile ? trusted(readFileFor('certificate', certFile), `the certificate ${certFile}`) : undefined;
  let note = '';
  const report = await verifySignLogExport(file, (exportPem) => {
    const inExport = exportPem ? trusted(exportPem, `the certificate in ${file}`) : undefined;
    if (given) {
      note = `Service certificate: ${certFile} (SHA-256 ${given.sha256})`;
      if (inExport && inExport.sha256 !== given.sha256) {
        note += `; the export carries another certificate (SHA-256 ${inExport.sha256}), which was ignored`;
      }
      return given;
    }
    note = inExport
      ? `Service certificate: the one inside the export (SHA-256 ${inExport.sha256}); compare it with a copy ` +
        "you trust ('signservice audit export-cert'), or pass --cert"
      : 'Service certificate: none (the export has none and --cert was not given); no checkpoint can be checked';
    return inExport;
  });
  process.stdout.write(formatExportReport(report, note));
  return report.ok ? 0 : 1;
}
