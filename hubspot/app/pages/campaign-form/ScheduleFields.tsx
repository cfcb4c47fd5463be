/** When to start, calling windows (override the account's), no-call dates and the fallback time zone. */
import React from 'react';
import { Heading, Input, TextArea, Toggle } from '@hubspot/ui-extensions';
import { WindowsEditor } from '../../lib/WindowsEditor';
import type { SectionProps } from './fields';

export function ScheduleFields({ form, set, field }: SectionProps) {
  return (
    <>
      <Heading>Schedule</Heading>
      <Input
        label="Start at"
        name="startAt"
        description="ISO 8601 with offset, e.g. 2026-12-07T09:00:00-05:00; empty to start by hand"
        value={form.startAt}
        onChange={(v) => set('startAt', v)}
        {...field('startAt')}
      />
      <Input
        label="Fallback time zone"
        name="timeZone"
        description="For contacts without a time zone; empty uses the account's"
        value={form.timeZone}
        onChange={(v) => set('timeZone', v)}
        {...field('timeZone')}
      />
      <Toggle
        label="Use campaign-specific calling windows"
        name="overrideWindows"
        checked={form.overrideWindows}
        onChange={(v) => set('overrideWindows', v)}
      />
      {form.overrideWindows && (
        <WindowsEditor windows={form.windows} onChange={(w) => set('windows', w)} field={field} />
      )}
      <TextArea
        label="No-call dates"
        name="noCallDates"
        description="One per line: YYYY-MM-DD and an optional label"
        value={form.noCallDates}
        onChange={(v) => set('noCallDates', v)}
        {...field('noCallDates')}
      />
    </>
  );
}
