export { toTeststandEvent, parsePayload, parseStandTopic, outboundTopic, commandPayload } from './domain/protocol.js';
