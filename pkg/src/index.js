// What every entry exports: the API (flags.js) and the sync client (sync.js).
export { Flags, PreparedContext, EdgeflagsError, bucket } from './flags.js';
export { syncFlags } from './sync.js';
