/** Entry point of the contact sidebar: the compact dialer (numbers, call, wrap-up). */
import React from 'react';
import { hubspot } from '@hubspot/ui-extensions';
import { Dialer } from './dialer/Dialer';

hubspot.extend<'crm.record.sidebar'>(({ context }) => (
  <Dialer contactId={String(context.crm.objectId)} compact />
));
