/** The help of `signservice request` and of each of its subcommands (command-help.ts). */
import type { GroupHelp } from '../command-help.js';
import { DATA_DIR_FLAG, DATA_DIR_TEXT } from '../data-dir.js';

export const REQUEST_HELP: GroupHelp = {
  group: 'request',
  about: "Sign a local PDF through the service: the worker that holds the certificate's key signs it.",
  subcommands: {
    submit: {
      usage:
        'FILE [FILE…] --account LOGIN --cert ID [--otp CODE] [stamp options] [--out PATH] [--wait SECONDS] [--json]',
      summary: 'check, authorise and queue a signature of each FILE; prints one request id per line',
      details:
        "Checks each FILE, the account's grant and the certificate's validity, then the one-time code — right here,\n" +
        'so a wrong code is refused at once (exit 77) and a code is never stored — creates one request per file and\n' +
        "queues each to the key's route. Several files: one code signs them all, each as its own request, with one\n" +
        'batch id (at most BATCH_MAX_DOCUMENTS). Prints the request ids; with --wait it exits 0 only when every\n' +
        'request completed.',
      options: ['account', 'cert', 'otp', 'page', 'position', 'invisible', 'reason', 'out', 'wait', 'json'],
    },
    status: {
      usage: 'ID [--json]',
      summary: 'where a request stands (state, steps, failure, batch)',
      options: ['json'],
    },
    approve: {
      usage: 'ID [ID…] --otp CODE [--cert ID] [--json]',
      summary: 'approve requests a Bitrix24 robot started; several ids: one code for all',
      details:
        'Approves requests a Bitrix24 robot started: checks the deadline, the certificate (the one given, else the\n' +
        "step's preselection, else the account's default or only grant) and the grant, then the code; each request\n" +
        "is queued to its key's route. Several ids take one code (they must wait for the same account; at most\n" +
        'BATCH_MAX_DOCUMENTS).',
      options: ['otp', 'cert', 'json'],
    },
    reject: {
      usage: 'ID --reason TEXT [--json]',
      summary: 'reject a request a Bitrix24 robot started; the workflow is told',
      options: ['reason', 'json'],
    },
  },
  options: {
    account: ['--account LOGIN', "the signer's account (required)"],
    cert: ['--cert ID', "certificate id from 'signservice cert list' (a unique prefix of 8+ digits works)"],
    otp: ['--otp CODE', "the one-time code from the signer's authenticator (not for accounts with OTP disabled)"],
    page: ['--page first|last|N', 'page of the stamp (default: last)'],
    position: ['--position P', 'top-left, top-center, top-right, bottom-left, bottom-center, bottom-right (default)'],
    invisible: ['--invisible', 'no visible stamp'],
    reason: ['--reason TEXT', 'submit: reason shown in the signature; reject: why (required)'],
    out: ['--out PATH', 'where the signed copy of one FILE goes (default: FILE with "-signed" before .pdf)'],
    wait: ['--wait SECONDS', 'wait for the end; exit 0 only when every request completed'],
    json: ['--json', 'print JSON'],
    'data-dir': [DATA_DIR_FLAG, DATA_DIR_TEXT],
    help: ['-h, --help', 'this help'],
  },
  common: ['data-dir', 'help'],
  footer: 'The store, queue, master key and tokens come from the settings (see README "Settings").',
};
