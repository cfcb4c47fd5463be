/**
 * The campaign form's state and its translation to and from the backend's campaign settings. Field keys are the
 * settings' own paths ("pace.callsPerSecond"), so the backend's `details[].path` lands next to the right field.
 * The backend's zod schema is the authority; the checks here only catch what a user should fix before sending.
 */
import type { CampaignSettings } from '../../lib/types';

import { WEEKDAYS, type Weekday, type Windows } from '../../lib/WindowsEditor';

export { WEEKDAYS, type Weekday };

export type DialModeName = 'preview' | 'progressive' | 'power' | 'predictive' | 'message';
export type ConnectType = 'number' | 'hunt-group' | 'agent';

export interface CampaignForm {
  name: string;
  description: string;
  connectType: ConnectType;
  /** An E.164 number, a comma-separated hunt group, or an agent id, depending on connectType. */
  connectValue: string;
  /** Caller IDs, one E.164 per line or comma-separated. */
  callerIds: string;
  callerIdStrategy: 'round-robin' | 'local-presence';
  /** ISO 8601 with offset, or empty for "start by hand". */
  startAt: string;
  callsPerSecond: number;
  maxConcurrentCalls: number;
  dialMode: DialModeName;
  previewTimeoutSec: number;
  linesPerAgent: number;
  maxAbandonRatePct: number;
  amdDetection: 'off' | 'detect' | 'detect-message-end';
  amdOnMachine: 'hangup' | 'drop-voicemail' | 'connect';
  voicemailSay: string;
  /** Text to speak, or an https URL of an audio file to play. */
  message: string;
  gatherConfirmation: boolean;
  overrideWindows: boolean;
  windows: Windows;
  /** "YYYY-MM-DD label" per line. */
  noCallDates: string;
  timeZone: string;
  retryStrategy: 'smart' | 'intervals';
  retryIntensity: 'aggressive' | 'moderate' | 'conservative';
  /** Minutes, comma-separated. */
  retryDelays: string;
  maxAttempts: number | null;
  maxRetryDays: number | null;
  minGapMinutes: number;
  ringTimeoutSec: number;
  record: boolean;
  billingLabel: string;
}

const day = (enabled: boolean, start: string, end: string) => ({ enabled, start, end });

export function emptyForm(): CampaignForm {
  return {
    name: '',
    description: '',
    connectType: 'number',
    connectValue: '',
    callerIds: '',
    callerIdStrategy: 'round-robin',
    startAt: '',
    callsPerSecond: 1,
    maxConcurrentCalls: 10,
    dialMode: 'progressive',
    previewTimeoutSec: 120,
    linesPerAgent: 2,
    maxAbandonRatePct: 3,
    amdDetection: 'detect',
    amdOnMachine: 'hangup',
    voicemailSay: '',
    message: '',
    gatherConfirmation: false,
    overrideWindows: false,
    windows: {
      monday: day(true, '09:00', '18:00'),
      tuesday: day(true, '09:00', '18:00'),
      wednesday: day(true, '09:00', '18:00'),
      thursday: day(true, '09:00', '18:00'),
      friday: day(true, '09:00', '18:00'),
      saturday: day(true, '10:00', '14:00'),
      sunday: day(false, '09:00', '18:00'),
    },
    noCallDates: '',
    timeZone: '',
    retryStrategy: 'smart',
    retryIntensity: 'moderate',
    retryDelays: '60, 240, 1440',
    maxAttempts: null,
    maxRetryDays: 7,
    minGapMinutes: 30,
    ringTimeoutSec: 25,
    record: false,
    billingLabel: '',
  };
}

export const splitList = (text: string): string[] =>
  text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);

export function parseNoCallDates(text: string): { date: string; label?: string }[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [date = '', ...rest] = line.split(/\s+/);
      const label = rest.join(' ');
      return label ? { date, label } : { date };
    });
}

const isUrl = (s: string) => /^https?:\/\//i.test(s.trim());
const asMessage = (text: string) => (isUrl(text) ? { playUrl: text.trim() } : { say: text });

function connectTo(form: CampaignForm): Record<string, unknown> | undefined {
  const value = form.connectValue.trim();
  if (!value) return undefined;
  if (form.connectType === 'hunt-group') return { type: 'hunt-group', numbers: splitList(value) };
  if (form.connectType === 'agent') return { type: 'agent', agentId: value };
  return { type: 'number', number: value };
}

function dialMode(form: CampaignForm): Record<string, unknown> {
  switch (form.dialMode) {
    case 'preview':
      return { mode: 'preview', previewTimeoutSec: form.previewTimeoutSec };
    case 'power':
      return { mode: 'power', linesPerAgent: form.linesPerAgent };
    case 'predictive':
      return { mode: 'predictive', maxAbandonRatePct: form.maxAbandonRatePct };
    default:
      return { mode: form.dialMode };
  }
}

/** The settings body the API accepts (CampaignSettingsSchema's input); empty optional fields are left out. */
export function toSettings(form: CampaignForm): CampaignSettings {
  const stops = {
    maxAttempts: form.maxAttempts,
    maxRetryDays: form.maxRetryDays,
    minGapMinutes: form.minGapMinutes,
  };
  const retry =
    form.retryStrategy === 'smart'
      ? { strategy: 'smart', intensity: form.retryIntensity, ...stops }
      : { strategy: 'intervals', delaysMinutes: splitList(form.retryDelays).map(Number), ...stops };
  const settings: CampaignSettings = {
    name: form.name,
    description: form.description,
    callerIds: splitList(form.callerIds),
    callerIdStrategy: form.callerIdStrategy,
    pace: { callsPerSecond: form.callsPerSecond, maxConcurrentCalls: form.maxConcurrentCalls },
    dialMode: dialMode(form),
    amd: {
      detection: form.amdDetection,
      onMachine: form.amdOnMachine,
      ...(form.voicemailSay.trim() ? { voicemail: asMessage(form.voicemailSay) } : {}),
    },
    gatherConfirmation: form.gatherConfirmation,
    retry,
    ringTimeoutSec: form.ringTimeoutSec,
    record: form.record,
  };
  const target = connectTo(form);
  if (target) settings.connectTo = target;
  if (form.startAt.trim()) settings.startAt = form.startAt.trim();
  if (form.message.trim()) settings.message = asMessage(form.message);
  if (form.overrideWindows) settings.windows = form.windows;
  if (form.noCallDates.trim()) settings.noCallDates = parseNoCallDates(form.noCallDates);
  if (form.timeZone.trim()) settings.timeZone = form.timeZone.trim();
  if (form.billingLabel.trim()) settings.billingLabel = form.billingLabel.trim();
  return settings;
}

type Dict = Record<string, unknown>;
const obj = (v: unknown): Dict => (v && typeof v === 'object' ? (v as Dict) : {});
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);
const messageText = (v: unknown): string => str(obj(v).say) || str(obj(v).playUrl);

/** The form for an existing campaign's settings (defaults for anything the settings leave out). */
export function fromSettings(settings: CampaignSettings): CampaignForm {
  const base = emptyForm();
  const target = obj(settings.connectTo);
  const mode = obj(settings.dialMode);
  const amd = obj(settings.amd);
  const pace = obj(settings.pace);
  const retry = obj(settings.retry);
  const windows = settings.windows as CampaignForm['windows'] | undefined;
  const dates = Array.isArray(settings.noCallDates)
    ? (settings.noCallDates as { date: string; label?: string }[])
    : [];
  const connectType = (str(target.type, 'number') as ConnectType) ?? 'number';
  return {
    ...base,
    name: str(settings.name),
    description: str(settings.description),
    connectType,
    connectValue:
      connectType === 'hunt-group'
        ? ((target.numbers as string[] | undefined) ?? []).join(', ')
        : connectType === 'agent'
          ? str(target.agentId)
          : str(target.number),
    callerIds: ((settings.callerIds as string[] | undefined) ?? []).join('\n'),
    callerIdStrategy: str(
      settings.callerIdStrategy,
      base.callerIdStrategy,
    ) as CampaignForm['callerIdStrategy'],
    startAt: str(settings.startAt),
    callsPerSecond: num(pace.callsPerSecond, base.callsPerSecond),
    maxConcurrentCalls: num(pace.maxConcurrentCalls, base.maxConcurrentCalls),
    dialMode: str(mode.mode, base.dialMode) as DialModeName,
    previewTimeoutSec: num(mode.previewTimeoutSec, base.previewTimeoutSec),
    linesPerAgent: num(mode.linesPerAgent, base.linesPerAgent),
    maxAbandonRatePct: num(mode.maxAbandonRatePct, base.maxAbandonRatePct),
    amdDetection: str(amd.detection, base.amdDetection) as CampaignForm['amdDetection'],
    amdOnMachine: str(amd.onMachine, base.amdOnMachine) as CampaignForm['amdOnMachine'],
    voicemailSay: messageText(amd.voicemail),
    message: messageText(settings.message),
    gatherConfirmation: settings.gatherConfirmation === true,
    overrideWindows: windows !== undefined,
    windows: windows ?? base.windows,
    noCallDates: dates.map((d) => (d.label ? `${d.date} ${d.label}` : d.date)).join('\n'),
    timeZone: str(settings.timeZone),
    retryStrategy: str(retry.strategy, base.retryStrategy) as CampaignForm['retryStrategy'],
    retryIntensity: str(retry.intensity, base.retryIntensity) as CampaignForm['retryIntensity'],
    retryDelays: Array.isArray(retry.delaysMinutes)
      ? (retry.delaysMinutes as number[]).join(', ')
      : base.retryDelays,
    maxAttempts: retry.maxAttempts === undefined ? base.maxAttempts : (retry.maxAttempts as number | null),
    maxRetryDays:
      retry.maxRetryDays === undefined ? base.maxRetryDays : (retry.maxRetryDays as number | null),
    minGapMinutes: num(retry.minGapMinutes, base.minGapMinutes),
    ringTimeoutSec: num(settings.ringTimeoutSec, base.ringTimeoutSec),
    record: settings.record === true,
    billingLabel: str(settings.billingLabel),
  };
}

const E164 = /^\+[1-9]\d{6,14}$/;

/** What must be fixed before sending, keyed by settings path; an empty object means "send it". */
export function checkForm(form: CampaignForm): Record<string, string> {
  const issues: Record<string, string> = {};
  if (!form.name.trim()) issues.name = 'A campaign needs a name.';
  const callerIds = splitList(form.callerIds);
  if (callerIds.length === 0) issues.callerIds = 'Add at least one caller ID.';
  const badCallerId = callerIds.find((n) => !E164.test(n));
  if (badCallerId) issues.callerIds = `${badCallerId} is not a phone number in E.164 form (+15551234567).`;
  if (form.dialMode !== 'message' && !form.connectValue.trim()) {
    issues.connectTo = `Dial mode ${form.dialMode} needs somewhere to connect answered calls.`;
  }
  if (form.dialMode === 'message' && !form.message.trim())
    issues.message = 'A message campaign needs a message to play.';
  if (form.maxAttempts === null && form.maxRetryDays === null) {
    issues['retry.maxAttempts'] = 'Set at least one stop condition: max attempts or max retry days.';
  }
  if (form.retryStrategy === 'intervals' && splitList(form.retryDelays).some((d) => !/^\d+$/.test(d))) {
    issues['retry.delaysMinutes'] = 'List the delays in whole minutes, separated by commas.';
  }
  return issues;
}
