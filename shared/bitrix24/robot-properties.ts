/**
 * The robot's input properties as they arrive in the handler call (reference §3 "How property values
 * arrive": a `user` as `user_<ID>`, `bool` as Y/N, `select` as the option key, numbers as digit strings,
 * unset values as ''), checked and turned into what a sign request needs. A value the workflow designer got
 * wrong is reported in words the designer can act on; the robot step then ends with Result=failed.
 */
import type { SignPlacement } from '../domain/sign-request.js';
import { AppError, ErrorCode } from '../errors.js';
import { STAMP_POSITIONS, type StampPosition } from '../pdf/stamp/stamp-placement.js';

/** What the step asks for. */
export interface RobotStepSpec {
  signerUserId: number;
  /** The deal field holding the PDF (`UF_CRM_…`); '' means the first file field that holds a PDF. */
  fileField: string;
  placement: SignPlacement;
  /** Preselected certificate (inventory id or a unique prefix of 8+ hex digits). */
  certId?: string;
  message?: string;
  deadlineHours: number;
}

/** @default deadline when the property is empty. */
export const DEFAULT_DEADLINE_HOURS = 72;
/** A year: longer waits are almost certainly a typo. */
const MAX_DEADLINE_HOURS = 24 * 365;

function wrong(property: string, detail: string): never {
  throw new AppError(ErrorCode.B24_INVALID_PAYLOAD, `Robot property "${property}": ${detail}`, {
    details: { property },
  });
}

/** The first value of a property (a `Multiple` one arrives as a list), trimmed. */
function single(properties: Record<string, string | string[]>, code: string): string {
  const raw = properties[code];
  return (Array.isArray(raw) ? (raw[0] ?? '') : (raw ?? '')).trim();
}

function signerOf(value: string): number {
  const match = /^(?:user_)?([1-9]\d{0,9})$/.exec(value);
  if (!match) {
    return wrong(
      'signer',
      value ? `"${value}" is not one user (pick one employee, not a group)` : 'no signer was chosen',
    );
  }
  return Number(match[1]);
}

function pageOf(page: string, pageNumber: string): SignPlacement['page'] {
  if (page === '' || page === 'last') return 'last';
  if (page === 'first') return 'first';
  if (page !== 'number') return wrong('page', `"${page}" is not first, last or number`);
  if (!/^[1-9]\d{0,5}$/.test(pageNumber)) return wrong('page_number', `"${pageNumber}" is not a page number`);
  return Number(pageNumber);
}

function yesNo(value: string, property: string): boolean {
  if (value === '' || /^(y|yes|1|true)$/i.test(value)) return true;
  if (/^(n|no|0|false)$/i.test(value)) return false;
  return wrong(property, `"${value}" is not Y or N`);
}

function deadlineOf(value: string): number {
  if (value === '' || value === '0') return DEFAULT_DEADLINE_HOURS;
  const hours = Number(value);
  if (!Number.isFinite(hours) || hours <= 0 || hours > MAX_DEADLINE_HOURS) {
    return wrong('deadline_hours', `"${value}" is not a number of hours between 1 and ${MAX_DEADLINE_HOURS}`);
  }
  return hours;
}

/**
 * Reads the step's properties.
 * @throws AppError B24_INVALID_PAYLOAD naming the property
 */
export function parseRobotProperties(properties: Record<string, string | string[]>): RobotStepSpec {
  const fileField = single(properties, 'file_field').toUpperCase();
  if (fileField !== '' && !/^UF_CRM_[A-Z0-9_]{1,100}$/.test(fileField)) {
    wrong('file_field', `"${fileField}" is not a deal field code like UF_CRM_CONTRACT_PDF`);
  }
  const position = single(properties, 'position') || 'bottom-right';
  if (!(STAMP_POSITIONS as readonly string[]).includes(position)) {
    wrong('position', `"${position}" is not one of ${STAMP_POSITIONS.join(', ')}`);
  }
  const certId = single(properties, 'certificate');
  if (certId !== '' && !/^[0-9a-fA-F]{8,64}$/.test(certId)) {
    wrong('certificate', `"${certId}" is not a certificate id (hex digits, as 'signservice cert list' shows)`);
  }
  const message = single(properties, 'message').slice(0, 2000);
  return {
    signerUserId: signerOf(single(properties, 'signer')),
    fileField,
    placement: {
      page: pageOf(single(properties, 'page'), single(properties, 'page_number')),
      position: position as StampPosition,
      visible: yesNo(single(properties, 'visible'), 'visible'),
    },
    ...(certId ? { certId: certId.toLowerCase() } : {}),
    ...(message ? { message } : {}),
    deadlineHours: deadlineOf(single(properties, 'deadline_hours')),
  };
}
