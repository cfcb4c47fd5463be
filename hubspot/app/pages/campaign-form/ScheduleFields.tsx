/** When to start, calling windows (override the account's), no-call dates and the fallback time zone. */
import React from 'react';
import { Flex, Heading, Input, TextArea, Toggle } from '@hubspot/ui-extensions';
import { WEEKDAYS, type Weekday } from './model';
import type { SectionProps } from './fields';

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function ScheduleFields({ form, set, field }: SectionProps) {
  const setDay = (day: Weekday, patch: Partial<SectionProps['form']['windows'][Weekday]>) =>
    set('windows', { ...form.windows, [day]: { ...form.windows[day], ...patch } });
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
      {form.overrideWindows &&
        WEEKDAYS.map((day) => (
          <Flex key={day} direction="row" gap="sm" align="end">
            <Toggle
              label={capitalize(day)}
              name={`windows.${day}.enabled`}
              checked={form.windows[day].enabled}
              onChange={(enabled) => setDay(day, { enabled })}
            />
            <Input
              label="From"
              name={`windows.${day}.start`}
              value={form.windows[day].start}
              onChange={(start) => setDay(day, { start })}
              {...field(`windows.${day}.start`)}
            />
            <Input
              label="To"
              name={`windows.${day}.end`}
              value={form.windows[day].end}
              onChange={(end) => setDay(day, { end })}
              {...field(`windows.${day}.end`)}
            />
          </Flex>
        ))}
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
