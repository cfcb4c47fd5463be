/** The account defaults form: PUT /account/settings, messages next to each field. */
import React, { useState } from 'react';
import { Alert, Button, Flex, Form, Input, MultiSelect, TextArea } from '@hubspot/ui-extensions';
import { apiRequest, toApiError, type ApiError } from '../../lib/api';
import type { AccountSettings } from '../../lib/types';
import { ActionError } from '../../lib/ui';
import { WindowsEditor, type Windows } from '../../lib/WindowsEditor';
import { messageFor } from '../../pages/campaign-form/fields';
import { parseNoCallDates, splitList } from '../../pages/campaign-form/model';

export interface TeamOption {
  id: string;
  name: string;
}

const E164 = /^\+[1-9]\d{6,14}$/;

export function AccountSettingsForm({
  initial,
  userTeams,
}: {
  initial: AccountSettings;
  userTeams: TeamOption[];
}) {
  const [timeZone, setTimeZone] = useState(initial.timeZone);
  const [windows, setWindows] = useState<Windows>(initial.windows as Windows);
  const [noCallDates, setNoCallDates] = useState(
    initial.noCallDates.map((d) => (d.label ? `${d.date} ${d.label}` : d.date)).join('\n'),
  );
  const [callerIds, setCallerIds] = useState(initial.callerIds.join('\n'));
  const [teams, setTeams] = useState<string[]>(initial.campaignTeams);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const [saving, setSaving] = useState(false);

  // The teams the user belongs to, plus any already allowed team this user is not a member of.
  const known = new Map(userTeams.map((t) => [t.id, t.name]));
  const teamOptions = [...new Set([...userTeams.map((t) => t.id), ...teams])].map((id) => ({
    value: id,
    label: known.get(id) ?? `Team ${id}`,
  }));
  const field = (path: string) => {
    const message = messageFor(path, local, error?.details ?? []);
    return message ? { error: true, validationMessage: message } : { error: false };
  };

  const save = async () => {
    const ids = splitList(callerIds);
    const issues: Record<string, string> = {};
    const bad = ids.find((n) => !E164.test(n));
    if (bad) issues.callerIds = `${bad} is not a phone number in E.164 form (+15551234567).`;
    if (!timeZone.trim()) issues.timeZone = 'Choose the account time zone, e.g. America/New_York.';
    setLocal(issues);
    if (Object.keys(issues).length > 0) return;
    setSaving(true);
    setSaved(false);
    setError(null);
    try {
      await apiRequest<{ settings: AccountSettings }>('/account/settings', 'PUT', {
        timeZone: timeZone.trim(),
        windows,
        noCallDates: parseNoCallDates(noCallDates),
        callerIds: ids,
        campaignTeams: teams,
      });
      setSaved(true);
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Form>
      <Flex direction="column" gap="sm">
        <ActionError error={error} />
        {saved && <Alert title="Saved" variant="success" testId="saved" />}
        <Input
          label="Account time zone"
          name="timeZone"
          value={timeZone}
          onChange={setTimeZone}
          {...field('timeZone')}
        />
        <WindowsEditor windows={windows} onChange={setWindows} field={field} />
        <TextArea
          label="No-call dates"
          name="noCallDates"
          description="One per line: YYYY-MM-DD and an optional label"
          value={noCallDates}
          onChange={setNoCallDates}
          {...field('noCallDates')}
        />
        <TextArea
          label="Caller IDs"
          name="callerIds"
          description="One E.164 number per line"
          value={callerIds}
          onChange={setCallerIds}
          {...field('callerIds')}
        />
        <MultiSelect
          label="Teams allowed to run campaigns"
          name="campaignTeams"
          description="Super admins always can"
          options={teamOptions}
          value={teams}
          onChange={(v) => setTeams(v.map(String))}
          {...field('campaignTeams')}
        />
        <Button variant="primary" testId="save-settings" disabled={saving} onClick={() => void save()}>
          Save settings
        </Button>
      </Flex>
    </Form>
  );
}
