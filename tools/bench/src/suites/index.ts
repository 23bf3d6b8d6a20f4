import type { Suite } from '../harness.js';
import { csvIngestSuite } from './csv-ingest.js';
import { gatewayPollSuite } from './gateway-poll.js';
import { explorerSuite } from './explorer.js';
import { natsSuite } from './nats.js';
import { notifierSuite } from './notifier.js';
import { querySuite } from './query.js';
import { storeSuite } from './store.js';
import { mqttIngestSuite } from './mqtt-ingest.js';
import { soakSuite } from './soak.js';

/** Every suite `pnpm bench <suite>` knows. Adding one is one line here. */
export const suites: Suite[] = [
  natsSuite,
  notifierSuite,
  csvIngestSuite,
  querySuite,
  storeSuite,
  gatewayPollSuite,
  explorerSuite,
  mqttIngestSuite,
  soakSuite,
];
