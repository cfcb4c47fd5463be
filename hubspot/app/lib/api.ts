/**
 * The cards' only way to the backend: `hubspot.fetch` (HubSpot signs each request, so no token lives in the
 * card). Every failure becomes an ApiError with a sentence a user can read and the per-field details the forms
 * show; nothing is swallowed.
 */
import { hubspot } from '@hubspot/ui-extensions';
import { API_BASE } from './config';

export interface FieldIssue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    readonly details: FieldIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** hubspot.fetch times out after 15 s by default; the API answers well within that. */
const TIMEOUT_MS = 15_000;

/** Why a status failed, when the server sent no sentence of its own. */
function fallbackMessage(status: number): string {
  if (status === 401)
    return 'HubSpot could not prove who you are to Autodial (the request signature was refused).';
  if (status === 403) return 'You do not have permission to do this in Autodial.';
  if (status === 404) return 'Autodial could not find this item.';
  if (status === 409)
    return 'This changed in the meantime or is not allowed in its current status; reload and try again.';
  if (status === 429) return 'Too many requests at once; wait a moment and try again.';
  if (status >= 500) return `The Autodial server failed (HTTP ${status}); try again in a minute.`;
  return `Autodial refused the request (HTTP ${status}).`;
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function asErrorBody(body: unknown): { error?: string; details?: FieldIssue[] } {
  if (!body || typeof body !== 'object') return {};
  const { error, details } = body as { error?: unknown; details?: unknown };
  const issues = Array.isArray(details)
    ? details.filter(
        (d): d is FieldIssue =>
          !!d && typeof (d as FieldIssue).path === 'string' && typeof (d as FieldIssue).message === 'string',
      )
    : [];
  return { error: typeof error === 'string' ? error : undefined, details: issues };
}

/** Calls `${API_BASE}${path}`; resolves to the parsed JSON (null for 204) or rejects with an ApiError. */
export async function apiRequest<T>(path: string, method: HttpMethod = 'GET', body?: object): Promise<T> {
  let response: Response;
  try {
    response = await hubspot.fetch(`${API_BASE}${path}`, {
      method,
      timeout: TIMEOUT_MS,
      ...(body ? { body: body as Record<string, unknown> } : {}),
    });
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ApiError(`Could not reach the Autodial server: ${why}`, 0);
  }
  const parsed = await readJson(response);
  if (!response.ok) {
    const { error, details } = asErrorBody(parsed);
    throw new ApiError(error ?? fallbackMessage(response.status), response.status, details);
  }
  return parsed as T;
}

/** Turns any thrown value into something to show: the ApiError itself, or a wrapped unexpected error. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(error instanceof Error ? error.message : String(error), 0);
}

/** Field path -> message, for forms; `prefix` strips a leading path segment such as "settings.". */
export function fieldMessages(error: ApiError | null, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error?.details ?? []) {
    const key = prefix && issue.path.startsWith(prefix) ? issue.path.slice(prefix.length) : issue.path;
    out[key] ??= issue.message;
  }
  return out;
}
