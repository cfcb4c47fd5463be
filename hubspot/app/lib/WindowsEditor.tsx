/** Per-weekday calling windows (in the called person's local time), shared by campaigns and account defaults. */
import React from 'react';
import { Flex, Input, Toggle } from '@hubspot/ui-extensions';
import type { WeekdayWindow } from './types';

export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export type Windows = Record<Weekday, WeekdayWindow>;

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function WindowsEditor(props: {
  windows: Windows;
  onChange: (windows: Windows) => void;
  /** `{ error, validationMessage }` for a path such as "windows.monday.end". */
  field: (path: string) => { error: boolean; validationMessage?: string };
}) {
  const { windows } = props;
  const setDay = (day: Weekday, patch: Partial<WeekdayWindow>) =>
    props.onChange({ ...windows, [day]: { ...windows[day], ...patch } });
  return (
    <>
      {WEEKDAYS.map((day) => (
        <Flex key={day} direction="row" gap="sm" align="end">
          <Toggle
            label={capitalize(day)}
            name={`windows.${day}.enabled`}
            checked={windows[day].enabled}
            onChange={(enabled) => setDay(day, { enabled })}
          />
          <Input
            label="From"
            name={`windows.${day}.start`}
            value={windows[day].start}
            onChange={(start) => setDay(day, { start })}
            {...props.field(`windows.${day}.start`)}
          />
          <Input
            label="To"
            name={`windows.${day}.end`}
            value={windows[day].end}
            onChange={(end) => setDay(day, { end })}
            {...props.field(`windows.${day}.end`)}
          />
        </Flex>
      ))}
    </>
  );
}
