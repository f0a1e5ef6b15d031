// The control endpoint's routes, apart from HTTP: a method and a request target in, a status and a
// JSON body out. What each route does is injected by the running proxy (the hold registry, the
// verdict store, its own status), so this module knows no layer below it.
import type { HoldControl } from '../types/holds.js';

export interface ControlHandlers {
  /** Absent while no stage-2 analysis is configured: the hold routes then answer 503. */
  holds?: HoldControl;
  /** Removes the stored verdict for a part; false when none was stored. */
  forgetVerdict(sha256: string): boolean;
  status(): object;
}

export interface ControlResponse {
  status: number;
  body: object;
  /** 405 answers name the methods the path takes. */
  allow?: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export const ANALYSIS_NOT_CONFIGURED = 'analysis is not configured (no analysis.backends), so nothing is held';

interface Route {
  method: string;
  pattern: RegExp;
  run(handlers: ControlHandlers, parameter: string): ControlResponse;
}

const ok = (body: object): ControlResponse => ({ status: 200, body });
const failure = (status: number, error: string): ControlResponse => ({ status, body: { error } });

function withHolds(handlers: ControlHandlers, action: (holds: HoldControl) => ControlResponse): ControlResponse {
  return handlers.holds ? action(handlers.holds) : failure(503, ANALYSIS_NOT_CONFIGURED);
}

const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/status$/, run: (handlers) => ok(handlers.status()) },
  { method: 'GET', pattern: /^\/holds$/, run: (handlers) => withHolds(handlers, (holds) => ok({ holds: holds.list() })) },
  {
    method: 'POST',
    pattern: /^\/holds\/([^/]+)\/release$/,
    run: (handlers, id) => withHolds(handlers, (holds) => (holds.release(id) ? ok({ id, released: true }) : failure(404, `no hold with id ${id}`))),
  },
  {
    method: 'POST',
    pattern: /^\/holds\/([^/]+)\/block$/,
    run: (handlers, id) => withHolds(handlers, (holds) => (holds.block(id) ? ok({ id, blocked: true }) : failure(404, `no hold with id ${id}`))),
  },
  {
    method: 'DELETE',
    pattern: /^\/verdicts\/([^/]+)$/,
    run: (handlers, sha256) =>
      SHA256_HEX.test(sha256) ? ok({ sha256, forgotten: handlers.forgetVerdict(sha256) }) : failure(400, `not a SHA-256 in lowercase hex: '${sha256.slice(0, 80)}'`),
  },
];

export function routeControlRequest(method: string, target: string, handlers: ControlHandlers): ControlResponse {
  const path = target.split('?')[0];
  const matching = ROUTES.map((route) => ({ route, match: route.pattern.exec(path) })).filter((candidate) => candidate.match !== null);
  if (matching.length === 0) return failure(404, `no such control route: ${method} ${path}`);
  const chosen = matching.find((candidate) => candidate.route.method === method);
  if (!chosen) return { ...failure(405, `${path} does not take ${method}`), allow: matching.map((candidate) => candidate.route.method).join(', ') };
  let parameter = '';
  try {
    parameter = chosen.match?.[1] === undefined ? '' : decodeURIComponent(chosen.match[1]);
  } catch {
    return failure(400, `malformed percent-encoding in ${path}`);
  }
  try {
    return chosen.route.run(handlers, parameter);
  } catch (error) {
    return failure(500, `${method} ${path} failed: ${(error as Error).message}`);
  }
}
