/**
 * HubSpot's `hs_timezone` stores IANA zones in its own spelling (`america_slash_new_york`); the engine needs the
 * IANA name (`America/New_York`). Unknown values give undefined (the number's own zones then apply).
 */
const byLowerName = new Map(
  [...Intl.supportedValuesOf('timeZone'), 'UTC'].map((zone) => [zone.toLowerCase(), zone]),
);

export function ianaZoneOf(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const spelled = value
    .trim()
    .toLowerCase()
    .replace(/_slash_/g, '/');
  return byLowerName.get(spelled);
}
