export { parseTapArgs, queueArguments, USAGE, type TapOptions } from './args.js';
export { describeMessage, startTap, type Tap, type TappedMessage } from './tap.js';
