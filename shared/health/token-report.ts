/** What the worker knows about one of its tokens, for /ready and /metrics (no PIN, no key material). */
export interface TokenReport {
  label: string;
  route: string;
  present: boolean;
  /** Present and logged in: its jobs are being consumed. */
  usable: boolean;
  loggedIn: boolean;
  /** CKF_USER_PIN_COUNT_LOW: a wrong PIN was tried since the last good login. */
  pinLow: boolean;
  /** CKF_USER_PIN_LOCKED: only the security officer can unblock it. */
  pinLocked: boolean;
  /** What an operator has to do, when not usable. */
  problem?: string;
  /** When this was last checked. */
  checkedAt: Date;
}
