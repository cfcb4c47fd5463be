/** After a call: the outcome from the portal's own dispositions, notes, Do-Not-Call and wrong number. */
import React, { useState } from 'react';
import { Button, Checkbox, Flex, Form, Select, Text, TextArea, Toggle } from '@hubspot/ui-extensions';
import { apiRequest, fieldMessages, toApiError, type ApiError } from '../../lib/api';
import type { Disposition } from '../../lib/types';
import { useApiGet } from '../../lib/useApi';
import { ActionError, LoadError, Loading } from '../../lib/ui';

export function WrapUpForm(props: { attemptId: string; outcome?: string; onSaved: () => void }) {
  const dispositions = useApiGet<{ dispositions: Disposition[] }>('/dispositions');
  const [disposition, setDisposition] = useState<string>('');
  const [notes, setNotes] = useState('');
  const [doNotCall, setDoNotCall] = useState(false);
  const [wrongNumber, setWrongNumber] = useState(false);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);

  if (dispositions.state === 'loading') return <Loading label="Loading call outcomes" />;
  if (dispositions.state === 'error') {
    return <LoadError title="Call outcomes could not load" error={dispositions.error} />;
  }
  const options = dispositions.data.dispositions.map((d) => ({ label: d.label, value: d.id }));
  const messages = fieldMessages(error);

  const save = async () => {
    if (!disposition) {
      setMissing(true);
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await apiRequest<null>(`/calls/${encodeURIComponent(props.attemptId)}/wrap-up`, 'POST', {
        disposition,
        ...(notes.trim() ? { notes } : {}),
        doNotCall,
        wrongNumber,
      });
      props.onSaved();
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setSaving(false);
    }
  };

  const dispositionMessage = missing && !disposition ? 'Choose how the call went.' : messages.disposition;
  return (
    <Form>
      <Flex direction="column" gap="sm">
        {props.outcome && <Text variant="microcopy">{`Carrier outcome: ${props.outcome}`}</Text>}
        <ActionError error={error} />
        {options.length === 0 && (
          <Text testId="no-dispositions">
            This portal has no call outcomes yet; an admin can add them in HubSpot's call settings.
          </Text>
        )}
        <Select
          label="Call outcome"
          name="disposition"
          required
          options={options}
          value={disposition}
          onChange={(v) => setDisposition(String(v))}
          error={!!dispositionMessage}
          validationMessage={dispositionMessage}
        />
        <TextArea
          label="Notes"
          name="notes"
          value={notes}
          onChange={setNotes}
          error={!!messages.notes}
          validationMessage={messages.notes}
        />
        <Toggle
          label="Do not call this contact again"
          name="doNotCall"
          checked={doNotCall}
          onChange={setDoNotCall}
        />
        <Checkbox name="wrongNumber" checked={wrongNumber} onChange={(checked) => setWrongNumber(checked)}>
          Wrong number
        </Checkbox>
        <Button variant="primary" disabled={saving} testId="save-wrap-up" onClick={() => void save()}>
          Save call
        </Button>
      </Flex>
    </Form>
  );
}
