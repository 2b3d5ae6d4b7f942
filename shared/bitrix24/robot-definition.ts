/**
 * What the app registers on a portal (reference §2, §5, §7): the "Approve & sign PDF" robot for CRM
 * automation, the same step as a business-process activity (its own CODE: a robot and an activity of one app
 * cannot share one, §2.1), the deal-card button and the app events. NAME/DESCRIPTION and every property name
 * are `{lang: text}` objects (§2.1 "string or {lang: string}"), Russian and English. Property codes follow
 * the core's `^[a-z][a-z0-9_]*$`; the parameters are sent as a JSON body (a form-encoded property list is
 * refused, §2.1). `USE_SUBSCRIPTION` is always explicit: the sources disagree on its default.
 */

/** Robot CODE (CRM automation rules). */
export const ROBOT_CODE = 'signservice_approve_sign_pdf';
/** Business-process activity CODE. */
export const ACTIVITY_CODE = 'signservice_approve_sign_pdf_bp';
/** The deal-card placement of the Sign button (reference §5.2). */
export const SIGN_PLACEMENT = 'CRM_DEAL_DETAIL_TOOLBAR';
/** App events the app binds; handlers are removed with the app (reference §1.1). */
export const APP_EVENTS = ['ONAPPUPDATE', 'ONAPPUNINSTALL'] as const;

/** The app's public routes, from PUBLIC_BASE_URL (README: the install URL for the local-app form). */
export interface AppUrls {
  install: string;
  app: string;
  robot: string;
  events: string;
  placementSign: string;
}

/** The routes under `publicBaseUrl` (no trailing slash). */
export function appUrls(publicBaseUrl: string): AppUrls {
  const base = publicBaseUrl.replace(/\/+$/, '');
  return {
    install: `${base}/b24/install`,
    app: `${base}/b24/app`,
    robot: `${base}/b24/robot`,
    events: `${base}/b24/events`,
    placementSign: `${base}/b24/placement/sign`,
  };
}

type Texts = { ru: string; en: string };
type Property = Record<string, unknown>;

const text = (ru: string, en: string): Texts => ({ ru, en });

/** The six stamp positions of the Sign dialog. */
const POSITIONS: Record<string, Texts> = {
  'top-left': text('Сверху слева', 'Top left'),
  'top-center': text('Сверху по центру', 'Top center'),
  'top-right': text('Сверху справа', 'Top right'),
  'bottom-left': text('Снизу слева', 'Bottom left'),
  'bottom-center': text('Снизу по центру', 'Bottom center'),
  'bottom-right': text('Снизу справа', 'Bottom right'),
};

/** `select` options are `{key: title}`; titles in one language (Bitrix24 shows them as given). */
function options(map: Record<string, Texts>, lang: 'ru' | 'en'): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([key, t]) => [key, t[lang]]));
}

/** Input properties, shown in the step's settings (reference §2.1 PROPERTY descriptor). */
export function robotProperties(lang: 'ru' | 'en' = 'en'): Record<string, Property> {
  return {
    signer: {
      Name: text('Подписант', 'Signer'),
      Description: text(
        'Сотрудник, который утверждает и подписывает PDF',
        'The employee who approves and signs the PDF',
      ),
      Type: 'user',
      Required: 'Y',
      Multiple: 'N',
      Default: '{=Document:ASSIGNED_BY_ID}',
    },
    file_field: {
      Name: text('Поле сделки с файлом', 'Deal file field'),
      Description: text(
        'Код поля (UF_CRM_…); пусто — первое файловое поле с PDF',
        'Field code (UF_CRM_…); empty: the first file field that holds a PDF',
      ),
      Type: 'string',
      Required: 'N',
    },
    page: {
      Name: text('Страница подписи', 'Signature page'),
      Type: 'select',
      Options: options(
        { first: text('Первая', 'First'), last: text('Последняя', 'Last'), number: text('Номер', 'Number') },
        lang,
      ),
      Default: 'last',
    },
    page_number: { Name: text('Номер страницы', 'Page number'), Type: 'int', Default: '1' },
    position: {
      Name: text('Положение штампа', 'Stamp position'),
      Type: 'select',
      Options: options(POSITIONS, lang),
      Default: 'bottom-right',
    },
    visible: { Name: text('Видимая подпись', 'Visible signature'), Type: 'bool', Default: 'Y' },
    certificate: {
      Name: text('Сертификат', 'Certificate'),
      Description: text('ID сертификата (необязательно)', 'Certificate id (optional preselection)'),
      Type: 'string',
      Required: 'N',
    },
    message: { Name: text('Сообщение подписанту', 'Message to the signer'), Type: 'text', Required: 'N' },
    deadline_hours: { Name: text('Срок, часов', 'Deadline, hours'), Type: 'int', Default: '72' },
  };
}

/** Return values the app sends with `bizproc.event.send` (reference §4.1). */
export function robotReturnProperties(lang: 'ru' | 'en' = 'en'): Record<string, Property> {
  const results = {
    signed: text('Подписан', 'Signed'),
    rejected: text('Отклонён', 'Rejected'),
    expired: text('Срок истёк', 'Expired'),
    failed: text('Ошибка', 'Failed'),
  };
  return {
    Result: { Name: text('Результат', 'Result'), Type: 'select', Options: options(results, lang) },
    SignedBy: { Name: text('Подписал', 'Signed by'), Type: 'user' },
    SignedAt: { Name: text('Время подписи', 'Signed at'), Type: 'datetime' },
    Certificate: { Name: text('Сертификат', 'Certificate'), Type: 'string' },
    Reason: { Name: text('Причина', 'Reason'), Type: 'text' },
    SignedFileId: { Name: text('ID подписанного файла', 'Signed file id'), Type: 'int' },
  };
}

/**
 * The `bizproc.robot.add` / `bizproc.activity.add` parameters without CODE (also the FIELDS of `.update`).
 * `authUserId` is the installing administrator: the robot call then carries that user's token.
 */
export function stepRegistration(options: {
  kind: 'robot' | 'activity';
  handler: string;
  authUserId: number | undefined;
  lang?: 'ru' | 'en';
}): Record<string, unknown> {
  const lang = options.lang ?? 'en';
  return {
    HANDLER: options.handler,
    ...(options.authUserId ? { AUTH_USER_ID: options.authUserId } : {}),
    USE_SUBSCRIPTION: 'Y',
    NAME: text('Утвердить и подписать PDF', 'Approve & sign PDF'),
    DESCRIPTION: text(
      'Ждёт, пока сотрудник утвердит и подпишет PDF сделки электронной подписью (SignService)',
      "Waits until the employee approves and signs the deal's PDF with a digital signature (SignService)",
    ),
    PROPERTIES: robotProperties(lang),
    RETURN_PROPERTIES: robotReturnProperties(lang),
    FILTER: { INCLUDE: [['crm', 'CCrmDocumentDeal']] },
  };
}

/** `placement.bind` parameters of the Sign button (its dialog is served at `handler`). */
export function signPlacementBinding(handler: string): Record<string, unknown> {
  return {
    PLACEMENT: SIGN_PLACEMENT,
    HANDLER: handler,
    TITLE: 'Sign PDF',
    LANG_ALL: {
      en: { TITLE: 'Sign PDF', DESCRIPTION: 'Sign the deal PDF with a digital signature' },
      ru: { TITLE: 'Подписать PDF', DESCRIPTION: 'Подписать PDF сделки электронной подписью' },
    },
  };
}
