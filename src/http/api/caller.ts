/** The signed caller of a request: the portal and the user come from HubSpot's signature, never the body. */
import type { NextFunction, Request, Response } from 'express';
import { signedCaller } from '../hubspot/signature.js';
import type { HubSpotCaller } from '../hubspot/signature.js';
import { ApiError } from './errors.js';

export function callerOf(res: Response): HubSpotCaller {
  const caller = signedCaller(res);
  if (!caller) throw new ApiError(401, 'the signed request carries no portalId and userId');
  return caller;
}

/** After the signature check: refuses a signed request that does not name a portal and a user. */
export function requireCaller(_req: Request, res: Response, next: NextFunction) {
  if (!signedCaller(res)) {
    next(new ApiError(401, 'the signed request carries no portalId and userId'));
    return;
  }
  next();
}
