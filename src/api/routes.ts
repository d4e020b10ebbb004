/**
 * The routes the scoring API serves and every status each can answer: the OpenAPI document
 * (docs/openapi.yaml) must list exactly these, which test/api/openapi.test.ts checks.
 */
export const API_ROUTES = {
  score: { method: 'post', path: '/v1/score', statuses: [200, 400, 401, 405, 409, 413, 415, 500, 503] },
  batch: { method: 'post', path: '/v1/score/batch', statuses: [200, 400, 401, 405, 413, 415, 500, 503] },
} as const;

export type RouteName = keyof typeof API_ROUTES;

export const STATUS_LINES: Readonly<Record<number, string>> = {
  200: '200 OK',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  413: '413 Content Too Large',
  415: '415 Unsupported Media Type',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};
