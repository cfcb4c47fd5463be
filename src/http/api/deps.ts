/** Everything the API is built from (wired by the composition root, or by tests). */
import type { CampaignService, ZoneLookup } from '../../engine/campaigns.js';
import type { Clock } from '../../shared/clock.js';
import type { Engine } from '../../engine/dialer.js';
import type { Store } from '../../engine/store/store.js';
import type { Logger } from '../../observability/logger.js';
import type { MonitorSnapshot } from '../monitor/snapshot.js';
import type {
  AccountDefaultsRepository,
  AccountStatusProbe,
  AgentPresenceRepository,
  ContactDirectory,
  DispositionCatalog,
  ListEnrollment,
} from './ports.js';
import type { RoleDirectory } from './roles.js';

export interface ApiDeps {
  /** The HubSpot app's client secret: verifies the v3 signature of every request. */
  clientSecret: string;
  /** PUBLIC_BASE_URL: the origin HubSpot signs. */
  publicBaseUrl: string;
  store: Store;
  campaigns: CampaignService;
  /** The engine's public methods: manual calls, wrap-up, agent availability. */
  engine: Pick<Engine, 'clickToCall' | 'wrapUp' | 'setAgentAvailable' | 'agentNumber'>;
  clock: Clock;
  zones: ZoneLookup;
  roles: RoleDirectory;
  accounts: AccountDefaultsRepository;
  contacts: ContactDirectory;
  lists: ListEnrollment;
  agents: AgentPresenceRepository;
  dispositions: DispositionCatalog;
  accountStatus: AccountStatusProbe;
  /** The portal's live monitor snapshot (answered and abandoned counts, active calls, measured pace). */
  activity?: (portalId: string) => MonitorSnapshot | undefined;
  logger?: Logger;
  /** Signature timestamps are checked against this (default Date.now). */
  signatureNow?: () => number;
}
