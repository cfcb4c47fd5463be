/**
 * Outcome classification: every telephony result maps to exactly one next contact state and one CRM
 * disposition. "Reached" means a completed conversation (seed 003).
 */

/** The call disposition written to the CRM (the HubSpot adapter maps these to HubSpot's disposition ids). */
export type Disposition =
  | 'CONNECTED'
  | 'LEFT_VOICEMAIL'
  | 'LEFT_LIVE_MESSAGE'
  | 'NO_ANSWER'
  | 'BUSY'
  | 'WRONG_NUMBER'
  | 'FAILED'
  | 'CONFIRMED'
  | 'DECLINED'
  | 'CALLBACK_REQUESTED'
  | 'DO_NOT_CALL';
