/**
 * The API's error shape, one for every failure: `{ error, details: [{ path, message }] }`. Bad input is a 400
 * naming each field; a refused action a 409; another portal's record a 404. Only a fault of ours is a 5xx.
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { EngineInputError } from '../../engine/campaigns.js';
import { ClickToCallRefusedError } from '../../engine/click-to-call.js';
import type { Logger } from '../../observability/logger.js';

export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: FieldError[] = [],
    /** Extra machine-readable fields (e.g. a refusal reason), merged into the body. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string) => new ApiError(404, `${what} not found`);

export function fieldErrors(error: z.ZodError, prefix: readonly (string | number)[] = []): FieldError[] {
  return error.issues.map((i) => ({
    path: [...prefix, ...i.path].map(String).join('.') || '(root)',
    message: i.message,
  }));
}

/** Parses `input` with `schema`, or throws a 400 listing every bad field. */
export function parseBody<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what = 'request body',
  prefix: readonly (string | number)[] = [],
): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ApiError(400, `invalid ${what}`, fieldErrors(parsed.error, prefix));
  return parsed.data;
}

type AsyncHandler = (req: Request, res: Response) => Promise<void>;

/** Express 5 forwards rejections, but an explicit wrapper keeps the handlers' types simple. */
export function route(handler: AsyncHandler): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).catch(next);
  };
}

export function errorBody(error: unknown): { status: number; body: Record<string, unknown> } {
  if (error instanceof ApiError) {
    return { status: error.status, body: { error: error.message, details: error.details, ...error.extra } };
  }
  if (error instanceof z.ZodError) {
    return { status: 400, body: { error: 'invalid request', details: fieldErrors(error) } };
  }
  if (error instanceof ClickToCallRefusedError) {
    return {
      status: 409,
      body: {
        error: error.message,
        details: [],
        reason: error.reason,
        ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
      },
    };
  }
  // The services' own checks (lifecycle moves, wrap-up conflicts): the input was well-formed, the action is not
  // allowed in the current state.
  if (error instanceof EngineInputError) return { status: 409, body: { error: error.message, details: [] } };
  const e = error as { status?: unknown; type?: unknown; message?: unknown };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return { status: e.status, body: { error: String(e.message ?? 'bad request'), details: [] } };
  }
  return { status: 500, body: { error: 'internal error', details: [] } };
}

export function apiErrorHandler(logger?: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const { status, body } = errorBody(error);
    if (status >= 500) logger?.error({ err: error, path: req.originalUrl }, 'api request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json(body);
  };
}
