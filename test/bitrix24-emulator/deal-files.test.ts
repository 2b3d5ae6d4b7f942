/**
 * Deals with file fields over raw HTTP: discovering file fields (crm.deal.userfield.list, crm.item.fields),
 * crm.item.get with `urlMachine`, downloads that need a valid token, crm.item.update replacing one file of a
 * multiple field while keeping the others (JSON and form-encoded), single-field replacement, and the
 * timeline comment.
 */
import assert from 'node:assert/strict';
import { type PortalEmulator, type PortalHandle, startPortalEmulator } from '../support/bitrix24-emulator/index.js';
import { callForm, callJson, resultOf } from './raw-http.js';

interface FileValue {
  id: number;
  url: string;
  urlMachine: string;
}

const pdf = (label: string) => Buffer.from(`%PDF-1.7\n% ${label}\n%%EOF\n`);

describe('Bitrix24 emulator: deal files and timeline', () => {
  let emulator: PortalEmulator;
  let portal: PortalHandle;
  let token: string;
  let dealId: number;

  before(async () => {
    emulator = await startPortalEmulator();
    portal = emulator.portal('portal-a.bitrix24.test');
    portal.addFileField('UF_CRM_CONTRACT_PDF', { multiple: false, label: 'Contract' });
    portal.addFileField('UF_CRM_ATTACHMENTS', { multiple: true, label: 'Attachments' });
    dealId = portal.createDeal({
      title: 'Supply contract',
      files: {
        UF_CRM_CONTRACT_PDF: [{ name: 'contract.pdf', bytes: pdf('contract') }],
        UF_CRM_ATTACHMENTS: [
          { name: 'a.pdf', bytes: pdf('a') },
          { name: 'b.pdf', bytes: pdf('b') },
          { name: 'c.pdf', bytes: pdf('c') },
        ],
      },
    }).id;
    token = portal.issueTokens(1).accessToken;
  });
  after(() => emulator.close());

  async function getItem(): Promise<Record<string, unknown>> {
    const answer = await callJson(portal.clientEndpoint, 'crm.item.get', {
      auth: token,
      entityTypeId: 2,
      id: dealId,
      useOriginalUfNames: 'Y',
    });
    return (resultOf(answer) as { item: Record<string, unknown> }).item;
  }

  it('lists the file fields (and only them with the USER_TYPE_ID filter)', async () => {
    const all = await callJson(portal.clientEndpoint, 'crm.deal.userfield.list', { auth: token });
    assert.ok((resultOf(all) as unknown[]).length >= 3, 'a non-file field exists too');
    const files = await callJson(portal.clientEndpoint, 'crm.deal.userfield.list', {
      auth: token,
      filter: { USER_TYPE_ID: 'file' },
    });
    const rows = resultOf(files) as Record<string, unknown>[];
    assert.deepEqual(
      rows.map((row) => [row.FIELD_NAME, row.MULTIPLE, row.ENTITY_ID]),
      [
        ['UF_CRM_CONTRACT_PDF', 'N', 'CRM_DEAL'],
        ['UF_CRM_ATTACHMENTS', 'Y', 'CRM_DEAL'],
      ],
    );
    assert.equal(files.body.total, 2);
    const fields = resultOf(await callJson(portal.clientEndpoint, 'crm.item.fields', { auth: token, entityTypeId: 2 }));
    const uf = (fields as { fields: Record<string, Record<string, unknown>> }).fields.ufCrmAttachments;
    assert.equal(uf?.type, 'file');
    assert.equal(uf?.isMultiple, true);
    assert.equal(uf?.upperName, 'UF_CRM_ATTACHMENTS');
  });

  it('returns file fields as {id, url, urlMachine} and camelCase names by default', async () => {
    const item = await getItem();
    const single = item.UF_CRM_CONTRACT_PDF as FileValue;
    assert.deepEqual(Object.keys(single).sort(), ['id', 'url', 'urlMachine']);
    assert.ok(single.urlMachine.startsWith(`${portal.clientEndpoint}crm.controller.item.getFile.json?auth=`));
    assert.equal((item.UF_CRM_ATTACHMENTS as FileValue[]).length, 3);
    const camel = resultOf(
      await callJson(portal.clientEndpoint, 'crm.item.get', { auth: token, entityTypeId: 2, id: dealId }),
    );
    assert.ok('ufCrmContractPdf' in (camel as { item: object }).item);
    const missing = await callJson(portal.clientEndpoint, 'crm.item.get', { auth: token, entityTypeId: 2, id: 9999 });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'NOT_FOUND');
  });

  it('serves a download only with a valid token, and the browser url only as a login page', async () => {
    const single = (await getItem()).UF_CRM_CONTRACT_PDF as FileValue;
    const download = await fetch(single.urlMachine);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-type'), 'application/pdf');
    assert.match(download.headers.get('content-disposition') ?? '', /filename="contract\.pdf"/);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), pdf('contract'));
    const link = new URL(single.urlMachine);
    link.searchParams.delete('auth');
    assert.equal((await fetch(link)).status, 401, 'no auth');
    link.searchParams.set('auth', 'f'.repeat(64));
    assert.equal((await fetch(link)).status, 401, 'unknown token');
    link.searchParams.set('auth', token);
    link.searchParams.set('token', `${link.searchParams.get('token')}x`);
    assert.equal((await fetch(link)).status, 403, 'tampered file token');
    const browser = await fetch(single.url);
    assert.equal(browser.headers.get('content-type'), 'text/html; charset=utf-8', 'url needs a browser session');
    const other = portal.issueTokens(1);
    const otherLink = new URL(single.urlMachine);
    otherLink.searchParams.set('auth', other.accessToken);
    portal.forceExpireTokens();
    const expired = await fetch(otherLink);
    assert.equal(expired.status, 401);
    assert.equal(((await expired.json()) as { error: string }).error, 'expired_token');
    token = portal.issueTokens(1).accessToken;
  });

  it('replaces one file of a multiple field and keeps the others whose ids are sent', async () => {
    const before = (await getItem()).UF_CRM_ATTACHMENTS as FileValue[];
    const [a, b, c] = before.map((file) => file.id) as [number, number, number];
    const answer = await callJson(portal.clientEndpoint, 'crm.item.update', {
      auth: token,
      entityTypeId: 2,
      id: dealId,
      useOriginalUfNames: 'Y',
      fields: { UF_CRM_ATTACHMENTS: [{ id: a }, ['b-signed.pdf', pdf('b signed').toString('base64')], { id: c }] },
    });
    const item = (resultOf(answer) as { item: Record<string, unknown> }).item;
    const ids = (item.UF_CRM_ATTACHMENTS as FileValue[]).map((file) => file.id);
    assert.equal(ids.length, 3);
    assert.deepEqual([ids[0], ids[2]], [a, c]);
    assert.ok(!before.some((file) => file.id === ids[1]), 'the new file has a new id');
    const deal = portal.getDeal(dealId);
    assert.deepEqual(
      deal?.files.UF_CRM_ATTACHMENTS?.map((file) => file.name),
      ['a.pdf', 'b-signed.pdf', 'c.pdf'],
    );
    assert.deepEqual(portal.fileBytes(ids[1] as number), pdf('b signed'));
    assert.equal(portal.fileDeleted(b), true, 'the file whose id was not sent is deleted');
    assert.equal(portal.fileDeleted(a), false);
    assert.equal(deal?.updatedBy, 1);
  });

  it('takes the same update form-encoded with bracket keys, and deletes files whose ids are left out', async () => {
    const [first] = ((await getItem()).UF_CRM_ATTACHMENTS as FileValue[]).map((file) => file.id);
    const content = encodeURIComponent(pdf('d').toString('base64'));
    const form =
      `auth=${token}&entityTypeId=2&id=${dealId}&useOriginalUfNames=Y` +
      `&fields%5BUF_CRM_ATTACHMENTS%5D%5B0%5D%5Bid%5D=${first}` +
      `&fields%5BUF_CRM_ATTACHMENTS%5D%5B1%5D%5B0%5D=d.pdf&fields%5BUF_CRM_ATTACHMENTS%5D%5B1%5D%5B1%5D=${content}`;
    const item = (
      resultOf(await callForm(portal.clientEndpoint, 'crm.item.update', form)) as { item: Record<string, unknown> }
    ).item;
    assert.equal((item.UF_CRM_ATTACHMENTS as FileValue[]).length, 2);
    assert.deepEqual(
      portal.getDeal(dealId)?.files.UF_CRM_ATTACHMENTS?.map((file) => file.name),
      ['a.pdf', 'd.pdf'],
    );
    const notList = await callJson(portal.clientEndpoint, 'crm.item.update', {
      auth: token,
      entityTypeId: 2,
      id: dealId,
      fields: { UF_CRM_ATTACHMENTS: { id: first } },
    });
    assert.equal(notList.status, 400, 'a multiple field needs a list');
  });

  it('replaces a single file field by [name, base64] and deletes the old file', async () => {
    const old = ((await getItem()).UF_CRM_CONTRACT_PDF as FileValue).id;
    const answer = await callJson(portal.clientEndpoint, 'crm.item.update', {
      auth: token,
      entityTypeId: 2,
      id: dealId,
      fields: { ufCrmContractPdf: ['contract-signed.pdf', pdf('signed').toString('base64')] },
    });
    const value = (resultOf(answer) as { item: Record<string, FileValue> }).item.ufCrmContractPdf as FileValue;
    assert.notEqual(value.id, old);
    assert.equal(portal.fileDeleted(old), true);
    assert.deepEqual(portal.getDeal(dealId)?.files.UF_CRM_CONTRACT_PDF?.[0]?.bytes, pdf('signed'));
    assert.equal((await fetch(value.urlMachine)).status, 200);
  });

  it('adds a timeline comment with lower-case fields and files, and refuses an empty one', async () => {
    const id = resultOf(
      await callJson(portal.clientEndpoint, 'crm.timeline.comment.add', {
        auth: token,
        fields: {
          ENTITY_ID: dealId,
          ENTITY_TYPE: 'deal',
          COMMENT: 'Signed by [USER=2]Mary Smith[/USER]',
          FILES: [['signed.pdf', pdf('x').toString('base64')]],
        },
      }),
    );
    assert.equal(typeof id, 'number');
    const [comment] = portal.timeline(dealId);
    assert.equal(comment?.comment, 'Signed by [USER=2]Mary Smith[/USER]');
    assert.deepEqual(comment?.files[0]?.bytes, pdf('x'));
    const empty = await callJson(portal.clientEndpoint, 'crm.timeline.comment.add', {
      auth: token,
      fields: { ENTITY_ID: dealId, ENTITY_TYPE: 'deal', COMMENT: ' ' },
    });
    assert.equal(empty.body.error, 'INVALID_ARG_VALUE');
    const upper = await callJson(portal.clientEndpoint, 'crm.timeline.comment.add', {
      auth: token,
      FIELDS: { ENTITY_ID: dealId, ENTITY_TYPE: 'deal', COMMENT: 'x' },
    });
    assert.equal(upper.status, 400, 'the wrapper must be lower-case fields');
  });
});
