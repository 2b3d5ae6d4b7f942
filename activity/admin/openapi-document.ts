/**
 * The OpenAPI 3.1 document of the admin API, generated from the route declarations (api-route.ts): paths
 * and methods, parameters and bodies from the zod schemas (`z.toJSONSchema`, JSON Schema 2020-12, the
 * dialect OpenAPI 3.1 uses), the answers, the security schemes, and each route's authority as
 * `x-authority` so a reader sees who may call it.
 */
import { z } from 'zod';
import { type ApiRoute, isDownload } from './api-route.js';
import { ZErrorAnswer } from './mount-api-routes.js';

type Json = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' }) as Json;
  delete json.$schema;
  return json;
}

/** `/api/v1/accounts/:id` → `/api/v1/accounts/{id}` */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(route: ApiRoute): Json[] {
  const list: Json[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const json = schemaOf(schema, 'input');
    const props = (json.properties ?? {}) as Record<string, Json>;
    const required = new Set((json.required as string[] | undefined) ?? []);
    for (const [name, prop] of Object.entries(props)) {
      const { description, ...rest } = prop;
      list.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        schema: rest,
        ...(description ? { description } : {}),
      });
    }
  }
  return list;
}

const SECURITY: Record<string, Json[]> = {
  public: [],
  any: [{ bearerToken: [] }, { panelCookie: [] }, { panelHeader: [] }],
  operator: [{ panelCookie: [] }],
};

function operation(route: ApiRoute): Json {
  const status = String(route.status ?? 200);
  const success = isDownload(route.response)
    ? { description: 'A file', content: { [route.response.download]: { schema: { type: 'string' } } } }
    : status === '204'
      ? { description: 'Done' }
      : { description: 'OK', content: { 'application/json': { schema: schemaOf(route.response, 'output') } } };
  const error = {
    description: 'Error',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  return {
    operationId: `${route.method.toLowerCase()}${openApiPath(route.path).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    summary: route.summary,
    tags: [route.tag],
    'x-authority': route.authority,
    security: route.authority === 'public' ? [] : route.authority === 'operator' ? SECURITY.operator : SECURITY.any,
    parameters: parameters(route),
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input') } } } }
      : {}),
    responses: {
      [status]: success,
      ...(route.authority === 'public' ? {} : { '401': error, '403': error }),
      '400': error,
    },
  };
}

/** Builds the document. */
export function openApiDocument(routes: readonly ApiRoute[], options: { serverUrl: string; version: string }): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...(paths[path] ?? {}), [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'SignService admin API',
      version: options.version,
      description:
        'Accounts, enrollment links, certificates and the internal CA, grants, the sign log, requests, tokens and ' +
        'portals. The SignService Control Panel is a client of this API. Scripts authenticate with an API token ' +
        '(`signservice admin token create`); `x-authority` says who may call each operation.',
    },
    servers: [{ url: options.serverUrl }],
    paths,
    components: {
      schemas: { Error: schemaOf(ZErrorAnswer, 'output') },
      securitySchemes: {
        bearerToken: { type: 'http', scheme: 'bearer', description: 'An API token (read or admin scope)' },
        panelCookie: { type: 'apiKey', in: 'cookie', name: 'signservice_admin', description: 'Panel session' },
        panelHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Panel-Session',
          description: 'Panel session inside Bitrix24 (no third-party cookies)',
        },
      },
    },
  };
}
