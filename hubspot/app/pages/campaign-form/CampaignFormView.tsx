/** The create/edit form with every campaign setting; messages sit next to the field they concern. */
import React, { useState } from 'react';
import { Button, Flex, Form, Heading, Input, Select, TextArea } from '@hubspot/ui-extensions';
import { toApiError, type ApiError } from '../../lib/api';
import { ActionError } from '../../lib/ui';
import type { CampaignSettings } from '../../lib/types';
import { checkForm, toSettings, type CampaignForm } from './model';
import { messageFor, option, type SectionProps } from './fields';
import { DialingFields } from './DialingFields';
import { ScheduleFields } from './ScheduleFields';

export function CampaignFormView(props: {
  initial: CampaignForm;
  submitLabel: string;
  onSubmit: (settings: CampaignSettings) => Promise<void>;
  onCancel?: () => void;
}) {
  const [form, setForm] = useState<CampaignForm>(props.initial);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);

  const set: SectionProps['set'] = (key, value) => setForm((f) => ({ ...f, [key]: value }));
  const field: SectionProps['field'] = (path) => {
    const message = messageFor(path, local, error?.details ?? []);
    return message ? { error: true, validationMessage: message } : { error: false };
  };
  const section = { form, set, field };

  const submit = async () => {
    const issues = checkForm(form);
    setLocal(issues);
    if (Object.keys(issues).length > 0) return;
    setSaving(true);
    setError(null);
    try {
      await props.onSubmit(toSettings(form));
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Form>
      <Flex direction="column" gap="md">
        <ActionError error={error} />
        <Heading>Campaign</Heading>
        <Input
          label="Name"
          name="name"
          required
          value={form.name}
          onChange={(v) => set('name', v)}
          {...field('name')}
        />
        <TextArea
          label="Description"
          name="description"
          value={form.description}
          onChange={(v) => set('description', v)}
          {...field('description')}
        />
        <Select
          label="Connect answered calls to"
          name="connectType"
          value={form.connectType}
          options={[
            option('number', 'A phone number'),
            option('hunt-group', 'A hunt group'),
            option('agent', 'An agent'),
          ]}
          onChange={(v) => set('connectType', v as CampaignForm['connectType'])}
        />
        <Input
          label={form.connectType === 'agent' ? 'Agent ID' : 'Number(s), E.164'}
          name="connectTo"
          value={form.connectValue}
          onChange={(v) => set('connectValue', v)}
          {...field('connectTo')}
        />
        <TextArea
          label="Caller IDs"
          name="callerIds"
          description="One E.164 number per line, e.g. +15551234567"
          required
          value={form.callerIds}
          onChange={(v) => set('callerIds', v)}
          {...field('callerIds')}
        />
        <Select
          label="Caller ID choice"
          name="callerIdStrategy"
          value={form.callerIdStrategy}
          options={[
            option('round-robin', 'Round robin'),
            option('local-presence', 'Local presence (same area code)'),
          ]}
          onChange={(v) => set('callerIdStrategy', v as CampaignForm['callerIdStrategy'])}
          {...field('callerIdStrategy')}
        />
        <Input
          label="Billing label"
          name="billingLabel"
          value={form.billingLabel}
          onChange={(v) => set('billingLabel', v)}
          {...field('billingLabel')}
        />
        <DialingFields {...section} />
        <ScheduleFields {...section} />
        <Flex direction="row" gap="sm">
          <Button variant="primary" disabled={saving} testId="save-campaign" onClick={() => void submit()}>
            {props.submitLabel}
          </Button>
          {props.onCancel && (
            <Button onClick={props.onCancel} testId="cancel-campaign">
              Cancel
            </Button>
          )}
        </Flex>
      </Flex>
    </Form>
  );
}
