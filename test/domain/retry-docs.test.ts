import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { ERROR_CODE_TABLE, OUTCOME_CATEGORIES, SIP_CODE_TABLE } from '../../src/domain/outcome.js';
import { SMART_INTENSITY_TABLE } from '../../src/domain/retry.js';
import { CAMPAIGN_STATUSES } from '../../src/domain/lifecycle.js';

/** The README section is written by hand; these checks keep it from drifting away from the tables. */
const doc = readFileSync(new URL('../../docs/retry-strategies.md', import.meta.url), 'utf8');

describe('docs/retry-strategies.md', () => {
  it('lists every outcome category, error code and SIP code', () => {
    for (const category of OUTCOME_CATEGORIES) expect(doc).toMatch(new RegExp(`\\| ${category} +\\|`));
    for (const code of Object.keys(ERROR_CODE_TABLE)) expect(doc).toContain(code);
    for (const sip of Object.keys(SIP_CODE_TABLE)) expect(doc).toContain(sip);
  });

  it('has one row per Smart Calling phase with its days and calls per day', () => {
    for (const [intensity, phases] of Object.entries(SMART_INTENSITY_TABLE)) {
      const name = intensity[0]!.toUpperCase() + intensity.slice(1);
      for (const p of phases) {
        const days =
          p.toDay === null
            ? `${p.fromDay}\\+`
            : p.fromDay === p.toDay
              ? `${p.fromDay}`
              : `${p.fromDay}-${p.toDay}`;
        expect(doc).toMatch(new RegExp(`\\| ${name} +\\| ${days} +\\| (up to )?${p.attemptsPerDay}\\b`));
      }
    }
  });

  it('describes every campaign status', () => {
    for (const status of CAMPAIGN_STATUSES) expect(doc).toContain(status);
  });
});
