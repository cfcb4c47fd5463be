/** Entry point of the campaign manager app pages. */
import React from 'react';
import { hubspot } from '@hubspot/ui-extensions';
import { CampaignRouter } from './router';

hubspot.extend<'pages'>(() => <CampaignRouter />);
