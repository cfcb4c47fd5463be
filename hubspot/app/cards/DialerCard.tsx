/** Entry point of the contact record tab: the full dialer. */
import React from 'react';
import { hubspot } from '@hubspot/ui-extensions';
import { Dialer } from './dialer/Dialer';

hubspot.extend<'crm.record.tab'>(({ context }) => <Dialer contactId={String(context.crm.objectId)} />);
