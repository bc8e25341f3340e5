// blogapi client: signing (SPEC §3), tokens (SPEC §4), envelopes (SPEC §2).
export { sign, canonicalString, requestParams, formParams, jsonParams, md5Hex } from './sign.js';
export {
  createClient,
  ApiError,
  Codes,
  Reasons,
  MemoryStorage,
  passwordDigest,
  TOKEN_KEY,
  REFRESH_TOKEN_KEY,
  RENEWAL_LOCK,
} from './client.js';
