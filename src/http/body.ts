/**
 * Request bodies, parsed only on the routes that take them. A body nested deeper than a route needs is refused
 * before JSON.parse with a 400 that says so: recursive code further on (validation, signature checks, logging)
 * would otherwise overflow the stack on ~5,000 levels and answer 500.
 */
import express from 'express';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';

export interface JsonBodyOptions {
  /** Largest body, e.g. '256kb'. */
  limit: string;
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
}

/** A body-parser style error: a 4xx status and a type the error handler turns into a clear answer. */
export class BodyError extends Error {
  readonly expose = true;
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/** The deepest nesting of `[` and `{` outside strings, stopping early once past `limit`. No recursion. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
      continue;
    }
    if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      depth++;
      if (depth > limit) return true;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return false;
}

/** The raw bytes of a parsed body, for signature checks that hash exactly what was sent. */
export function rawBodyOf(req: IncomingMessage): Buffer | undefined {
  return (req as IncomingMessage & { rawBody?: Buffer }).rawBody;
}

/** JSON bodies with a size and a depth limit; the raw bytes stay on the request (`rawBodyOf`). */
export function jsonBody(options: JsonBodyOptions): RequestHandler {
  return express.json({
    limit: options.limit,
    strict: true,
    verify(req, _res, buf) {
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = buf;
      if (jsonDepthExceeds(buf.toString('utf8'), options.maxDepth)) {
        throw new BodyError(
          400,
          'entity.too.deep',
          `JSON body nested deeper than ${options.maxDepth} levels`,
        );
      }
    },
  });
}
