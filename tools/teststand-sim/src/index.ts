export {
  burst,
  createStandSim,
  type BurstOptions,
  type SimOptions,
  type StandSim,
  type SentMessage,
} from './sim.js';
export {
  dataMessage,
  malformedMessage,
  MALFORMED_KINDS,
  statusMessage,
  type MalformedKind,
} from './messages.js';
