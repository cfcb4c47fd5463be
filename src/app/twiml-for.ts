/**
 * Answers Twilio's TwiML fetch for a call whose flow was too long to send inline: the adapter dials with
 * `url = /twilio/twiml/<flow kind>?attemptId=…`, and the TwiML is rebuilt here from the stored attempt and its
 * campaign, exactly as the adapter would have built it inline.
 */
import type { CampaignSettings } from '../domain/settings.js';
import type { Store } from '../engine/store/store.js';
import { portalOfAttempt } from '../engine/dialer.js';
import type { CallFlow, DialRequest } from '../telephony/telephony.js';
import { hangupTwiml } from '../telephony/twilio/twiml.js';
import type { TwilioFlows } from '../telephony/twilio/webhooks.js';

/** The flow a campaign runs when the call is answered (the engine's own rule, for a stored attempt). */
export function flowOf(settings: CampaignSettings, agentId?: string): CallFlow {
  if (settings.dialMode.mode === 'message') {
    return { kind: 'reminder', message: settings.message!, gather: settings.gatherConfirmation };
  }
  const to = settings.connectTo;
  const targets =
    to?.type === 'number'
      ? [to.number]
      : to?.type === 'hunt-group'
        ? to.numbers
        : [agentId ?? to?.agentId ?? ''];
  return { kind: 'connect', targets };
}

export interface TwimlForOptions {
  store: Store;
  /** TwilioTelephony.flowTwiml: the same builder the adapter uses inline. */
  flowTwiml(request: DialRequest): string;
  onUnknownAttempt?: (attemptId: string) => void;
}

export function createTwimlFlows(options: TwimlForOptions): TwilioFlows {
  return {
    async twimlFor(attemptId) {
      const portalId = portalOfAttempt(attemptId);
      const attempt = portalId ? await options.store.getAttempt(portalId, attemptId) : null;
      const campaign = attempt ? await options.store.getCampaign(attempt.portalId, attempt.campaignId) : null;
      if (!attempt || !campaign) {
        // Nothing to play for a call we do not know: end it rather than leave the person in silence.
        options.onUnknownAttempt?.(attemptId);
        return hangupTwiml();
      }
      const { settings } = campaign;
      return options.flowTwiml({
        attemptId,
        portalId: attempt.portalId,
        campaignId: attempt.campaignId,
        contactId: attempt.contactId,
        to: attempt.to,
        from: attempt.from,
        flow: flowOf(settings, attempt.agentId),
        amd: settings.amd,
        ringTimeoutSec: settings.ringTimeoutSec,
        record: settings.record,
      });
    },
  };
}
