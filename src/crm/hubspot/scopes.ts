/**
 * The OAuth scopes the app asks for at install, each with the reason (docs/hubspot.md repeats the table).
 * HubSpot's Calls API is covered by the contacts scopes (its "Scope requirements": crm.objects.contacts.*).
 */
export const REQUIRED_SCOPES: Record<string, string> = {
  oauth: 'Every OAuth app needs it: token exchange and refresh.',
  'crm.objects.contacts.read':
    'Read the contacts of a list to enroll them (phone fields, name, time zone, state/country, DNC flags) and the calls we logged (search by attempt id).',
  'crm.objects.contacts.write':
    'Log each call as a Call engagement, update it with the wrap-up, and write the dialer properties on contacts (DNC, wrong number, last outcome); the CSV import creates and updates contacts.',
  'crm.schemas.contacts.write':
    'Create the Autodial property group and the contact and call properties at install.',
  'crm.lists.read': 'Page through the memberships of the list a campaign enrolls.',
  automation: 'Complete the "Place a call" workflow action once the call is over.',
};

export const OPTIONAL_SCOPES: Record<string, string> = {
  'crm.objects.owners.read': 'Show and set the owner of logged calls by HubSpot user.',
};

export const requiredScopeList = () => Object.keys(REQUIRED_SCOPES);
export const optionalScopeList = () => Object.keys(OPTIONAL_SCOPES);
