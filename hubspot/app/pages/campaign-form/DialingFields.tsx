/** Pace, dial mode, answering-machine handling, the message, and the retry policy. */
import React from 'react';
import { Heading, NumberInput, Select, TextArea, Toggle } from '@hubspot/ui-extensions';
import type { CampaignForm } from './model';
import { option, type SectionProps } from './fields';

export function DialingFields({ form, set, field }: SectionProps) {
  return (
    <>
      <Heading>Dialing</Heading>
      <Select
        label="Dial mode"
        name="dialMode"
        value={form.dialMode}
        options={[
          option('preview', 'Preview: the rep sees the lead, then dials'),
          option('progressive', 'Progressive: one call per available agent'),
          option('power', 'Power: several lines per agent'),
          option('predictive', 'Predictive: dial ahead, capped by abandonment'),
          option('message', 'Message: play a recording, no agents'),
        ]}
        onChange={(v) => set('dialMode', v as CampaignForm['dialMode'])}
        {...field('dialMode')}
      />
      {form.dialMode === 'preview' && (
        <NumberInput
          label="Preview time (seconds)"
          name="previewTimeoutSec"
          min={10}
          max={3600}
          value={form.previewTimeoutSec}
          onChange={(v) => set('previewTimeoutSec', v)}
          {...field('dialMode.previewTimeoutSec')}
        />
      )}
      {form.dialMode === 'power' && (
        <NumberInput
          label="Lines per agent"
          name="linesPerAgent"
          min={1}
          max={10}
          value={form.linesPerAgent}
          onChange={(v) => set('linesPerAgent', v)}
          {...field('dialMode.linesPerAgent')}
        />
      )}
      {form.dialMode === 'predictive' && (
        <NumberInput
          label="Highest abandonment rate (%)"
          name="maxAbandonRatePct"
          min={0}
          max={3}
          precision={1}
          value={form.maxAbandonRatePct}
          onChange={(v) => set('maxAbandonRatePct', v)}
          {...field('dialMode.maxAbandonRatePct')}
        />
      )}
      <NumberInput
        label="Calls per second"
        name="callsPerSecond"
        min={0.1}
        max={100}
        precision={1}
        value={form.callsPerSecond}
        onChange={(v) => set('callsPerSecond', v)}
        {...field('pace.callsPerSecond')}
      />
      <NumberInput
        label="Most calls at once"
        name="maxConcurrentCalls"
        min={1}
        max={1000}
        value={form.maxConcurrentCalls}
        onChange={(v) => set('maxConcurrentCalls', v)}
        {...field('pace.maxConcurrentCalls')}
      />
      <NumberInput
        label="Ring for (seconds)"
        name="ringTimeoutSec"
        description="US rules require at least 15 seconds"
        min={15}
        max={120}
        value={form.ringTimeoutSec}
        onChange={(v) => set('ringTimeoutSec', v)}
        {...field('ringTimeoutSec')}
      />
      <TextArea
        label="Message to play"
        name="message"
        description="Text to speak, or the https address of an audio file"
        value={form.message}
        onChange={(v) => set('message', v)}
        {...field('message')}
      />
      <Toggle
        label="Ask the callee to confirm with a key press"
        name="gatherConfirmation"
        checked={form.gatherConfirmation}
        onChange={(v) => set('gatherConfirmation', v)}
      />
      <Toggle label="Record calls" name="record" checked={form.record} onChange={(v) => set('record', v)} />
      <Heading>Answering machines</Heading>
      <Select
        label="Detection"
        name="amdDetection"
        value={form.amdDetection}
        options={[
          option('off', 'Off'),
          option('detect', 'Detect'),
          option('detect-message-end', 'Detect and wait for the beep'),
        ]}
        onChange={(v) => set('amdDetection', v as CampaignForm['amdDetection'])}
        {...field('amd.detection')}
      />
      <Select
        label="When a machine answers"
        name="amdOnMachine"
        value={form.amdOnMachine}
        options={[
          option('hangup', 'Hang up'),
          option('drop-voicemail', 'Leave a voicemail'),
          option('connect', 'Connect anyway'),
        ]}
        onChange={(v) => set('amdOnMachine', v as CampaignForm['amdOnMachine'])}
        {...field('amd.onMachine')}
      />
      <TextArea
        label="Voicemail"
        name="voicemail"
        value={form.voicemailSay}
        onChange={(v) => set('voicemailSay', v)}
        {...field('amd.voicemail')}
      />
      <Heading>Retries</Heading>
      <Select
        label="Strategy"
        name="retryStrategy"
        value={form.retryStrategy}
        options={[option('smart', 'Smart calling'), option('intervals', 'Defined intervals')]}
        onChange={(v) => set('retryStrategy', v as CampaignForm['retryStrategy'])}
        {...field('retry.strategy')}
      />
      {form.retryStrategy === 'smart' ? (
        <Select
          label="Intensity"
          name="retryIntensity"
          value={form.retryIntensity}
          options={[
            option('aggressive', 'Aggressive'),
            option('moderate', 'Moderate'),
            option('conservative', 'Conservative'),
          ]}
          onChange={(v) => set('retryIntensity', v as CampaignForm['retryIntensity'])}
          {...field('retry.intensity')}
        />
      ) : (
        <TextArea
          label="Delays before each retry (minutes)"
          name="retryDelays"
          value={form.retryDelays}
          onChange={(v) => set('retryDelays', v)}
          {...field('retry.delaysMinutes')}
        />
      )}
      <NumberInput
        label="Max attempts"
        name="maxAttempts"
        min={1}
        max={100}
        value={form.maxAttempts ?? undefined}
        onChange={(v) => set('maxAttempts', Number.isFinite(v) ? v : null)}
        {...field('retry.maxAttempts')}
      />
      <NumberInput
        label="Max retry days"
        name="maxRetryDays"
        min={0}
        max={365}
        value={form.maxRetryDays ?? undefined}
        onChange={(v) => set('maxRetryDays', Number.isFinite(v) ? v : null)}
        {...field('retry.maxRetryDays')}
      />
      <NumberInput
        label="Minutes between attempts"
        name="minGapMinutes"
        min={1}
        value={form.minGapMinutes}
        onChange={(v) => set('minGapMinutes', v)}
        {...field('retry.minGapMinutes')}
      />
    </>
  );
}
