/**
 * Offline check of the HubSpot project under hubspot/ (`hs project validate` needs the network and an account):
 * every *-hsmeta.json parses, sits in the folder its type requires, has a unique valid uid and the fields the
 * platform requires, URLs agree with the backend's address, and HubSpot's own parsing library translates the
 * project (schema validation skipped: the schemas are downloaded, not shipped).
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Components } from '@hubspot/project-parsing-lib/constants';
import { translate } from '@hubspot/project-parsing-lib/translate';
import { validateUid } from '@hubspot/project-parsing-lib/uid';
import { BACKEND_URL } from '../../hubspot/app/lib/config';

const root = path.resolve(import.meta.dirname, '../..');
const hsproject = JSON.parse(readFileSync(path.join(root, 'hsproject.json'), 'utf8')) as {
  srcDir: string;
  platformVersion: string;
};
const srcDir = path.join(root, hsproject.srcDir);

type Json = Record<string, unknown>;
interface MetaFile {
  rel: string;
  uid: string;
  type: string;
  config: Json;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules') return [];
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full];
  });
}

const files = walk(srcDir);
const metaFiles: MetaFile[] = files
  .filter((f) => f.endsWith('-hsmeta.json'))
  .map((f) => {
    const parsed = JSON.parse(readFileSync(f, 'utf8')) as Json;
    return {
      rel: path.relative(srcDir, f),
      uid: parsed.uid as string,
      type: parsed.type as string,
      config: parsed.config as Json,
    };
  });
const byType = (type: string) => metaFiles.filter((m) => m.type === type);
const one = (type: string) => {
  const found = byType(type);
  expect(found).toHaveLength(1);
  return found[0]!.config;
};
const isHttps = (url: unknown) => typeof url === 'string' && url.startsWith('https://');

describe('HubSpot project (offline check)', () => {
  it('is a 2026.03 project whose source folder holds the app and its features', () => {
    expect(hsproject).toMatchObject({ srcDir: 'hubspot', platformVersion: '2026.03' });
    expect(metaFiles.map((m) => m.type).sort()).toEqual(
      ['app', 'card', 'card', 'page', 'settings', 'webhooks', 'workflow-action'].sort(),
    );
  });

  it.each(metaFiles.map((m) => [m.rel, m] as const))(
    '%s has a valid uid, a known type and the folder it requires',
    (_rel, meta) => {
      expect(validateUid(meta.uid)).toBeUndefined();
      expect(typeof meta.config).toBe('object');
      const component = Components[meta.type];
      expect(component).toBeDefined();
      const expectedDir = component!.parentComponent
        ? path.join(component!.parentComponent, component!.dir)
        : component!.dir;
      expect(path.dirname(meta.rel)).toBe(expectedDir);
    },
  );

  it('uids are unique and singular features appear at most once', () => {
    const uids = metaFiles.map((m) => m.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const type of new Set(metaFiles.map((m) => m.type))) {
      if (Components[type]?.singularComponent) expect(byType(type)).toHaveLength(1);
    }
  });

  it('the app is a marketplace OAuth app allowed to fetch from the backend', () => {
    const app = one('app');
    expect(app).toMatchObject({ distribution: 'marketplace', auth: { type: 'oauth' } });
    const auth = app.auth as Json;
    expect((auth.redirectUrls as string[]).every(isHttps)).toBe(true);
    expect(auth.requiredScopes).toEqual(
      expect.arrayContaining([
        'oauth',
        'crm.objects.contacts.read',
        'crm.objects.contacts.write',
        'crm.lists.read',
        'automation',
      ]),
    );
    expect(typeof app.name).toBe('string');
    expect((app.support as Json).supportEmail).toEqual(expect.stringContaining('@'));
    const fetchUrls = (app.permittedUrls as Json).fetch as string[];
    expect(fetchUrls.every(isHttps)).toBe(true);
    // The cards call BACKEND_URL; HubSpot refuses any URL not listed here.
    expect(fetchUrls).toContain(BACKEND_URL);
  });

  it('cards and pages name an existing entrypoint, and cards a valid location on contacts', () => {
    for (const meta of metaFiles.filter((m) => ['card', 'page', 'settings'].includes(m.type))) {
      const entrypoint = meta.config.entrypoint as string;
      expect(entrypoint).toMatch(/^\/app\/.+\.tsx$/);
      expect(existsSync(path.join(srcDir, entrypoint))).toBe(true);
    }
    const locations = byType('card').map((c) => c.config.location);
    expect(locations.sort()).toEqual(['crm.record.sidebar', 'crm.record.tab']);
    for (const card of byType('card')) {
      expect(card.config).toMatchObject({ objectTypes: ['contacts'] });
      expect(typeof card.config.name).toBe('string');
    }
  });

  it('the workflow action matches the API contract: inputs, outputs and labels', () => {
    const action = one('workflow-action');
    expect(action.actionUrl).toBe(`${BACKEND_URL}/hubspot/workflow-actions/place-call`);
    expect(action).toMatchObject({ supportedClients: [{ client: 'WORKFLOWS' }], objectTypes: ['CONTACT'] });
    type Field = {
      typeDefinition: { name: string; type: string; options?: { value: string }[] };
      isRequired?: boolean;
      supportedValueTypes?: string[];
    };
    const inputs = action.inputFields as Field[];
    const types = Object.fromEntries(inputs.map((f) => [f.typeDefinition.name, f.typeDefinition.type]));
    expect(types).toEqual({
      phoneProperty: 'enumeration',
      phoneNumber: 'string',
      messageText: 'string',
      messageAudioUrl: 'string',
      requireConfirmation: 'bool',
      retryPolicy: 'enumeration',
      callerId: 'string',
    });
    for (const f of inputs) expect(f.supportedValueTypes?.length).toBeGreaterThan(0);
    const retry = inputs.find((f) => f.typeDefinition.name === 'retryPolicy')!;
    expect(retry.typeDefinition.options!.map((o) => o.value)).toEqual([
      'none',
      'conservative',
      'moderate',
      'aggressive',
    ]);
    const outputs = action.outputFields as Field[];
    expect(Object.fromEntries(outputs.map((f) => [f.typeDefinition.name, f.typeDefinition.type]))).toEqual({
      outcome: 'enumeration',
      confirmed: 'bool',
      keyPressed: 'string',
      attempts: 'number',
    });
    expect(outputs[0]!.typeDefinition.options!.map((o) => o.value)).toEqual([
      'confirmed',
      'declined',
      'callback_requested',
      'answered',
      'voicemail',
      'no_answer',
      'busy',
      'failed',
      'do_not_call',
      'invalid_number',
    ]);
    const en = (action.labels as Json).en as Json;
    expect(en.actionName).toBe('Place a call');
    expect(Object.keys(en.inputFieldLabels as Json).sort()).toEqual(Object.keys(types).sort());
    expect(Object.keys(en.outputFieldLabels as Json).sort()).toEqual([
      'attempts',
      'confirmed',
      'keyPressed',
      'outcome',
    ]);
  });

  it('the webhooks match the API contract', () => {
    const webhooks = one('webhooks');
    expect(webhooks.settings).toMatchObject({ targetUrl: `${BACKEND_URL}/hubspot/webhooks` });
    const subs = webhooks.subscriptions as Record<string, Json[]>;
    expect(subs.crmObjects!.map((s) => [s.subscriptionType, s.objectType, s.propertyName, s.active])).toEqual(
      [
        'phone',
        'mobilephone',
        'hs_timezone',
        'autodial_do_not_call',
        'autodial_wrong_number',
        'hs_email_optout',
      ].map((p) => ['object.propertyChange', 'contact', p, true]),
    );
    expect(subs.legacyCrmObjects).toEqual([{ subscriptionType: 'contact.deletion', active: true }]);
    expect(subs.hubEvents).toEqual([{ subscriptionType: 'contact.privacyDeletion', active: true }]);
  });

  it("the app's package.json pins the UI dependencies the tests run with", () => {
    const app = JSON.parse(readFileSync(path.join(srcDir, 'app/package.json'), 'utf8')) as Json;
    const rootPkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Json;
    const deps = app.dependencies as Record<string, string>;
    expect(deps.react).toBe('18.3.1');
    expect(deps['@hubspot/ui-extensions']).toBe(
      (rootPkg.devDependencies as Record<string, string>)['@hubspot/ui-extensions'],
    );
  });

  it('every UI source file stays well under 500 lines', () => {
    for (const file of files.filter((f) => /\.tsx?$/.test(f))) {
      expect([path.relative(srcDir, file), readFileSync(file, 'utf8').split('\n').length < 400]).toEqual([
        path.relative(srcDir, file),
        true,
      ]);
    }
  });

  it("HubSpot's parsing library translates the project with every component", async () => {
    const { intermediateRepresentation, skippedHsMetaFiles } = await translate(
      { projectSourceDir: srcDir, platformVersion: hsproject.platformVersion },
      { skipValidation: true },
    );
    expect(skippedHsMetaFiles).toEqual([]);
    const nodes = intermediateRepresentation.intermediateNodesIndexedByUid;
    expect(Object.keys(nodes).sort()).toEqual(metaFiles.map((m) => m.uid).sort());
    for (const meta of metaFiles.filter((m) => m.type !== 'app')) {
      expect(nodes[meta.uid]!.componentDeps).toMatchObject({ app: 'autodial-app' });
    }
  });
});
