// credentialStatus checks with Digital Bazaar's Bitstring Status List library
// (@digitalbazaar/vc-bitstring-status-list), reported per status entry.
//
// What the library does (2.0.1, lib/index.js), and so what this reports:
// - checkStatus() takes every credentialStatus entry of type
//   BitstringStatusListEntry (one object or an array) and checks them all
//   (Promise.all). For each it loads statusListCredential with the
//   documentLoader, requires credentialSubject.statusPurpose === the entry's
//   statusPurpose, verifies the list credential with vc.verifyCredential (its
//   proof with the given suite, its dates, issuer == verification method
//   controller), requires the list's issuer to equal the credential's issuer,
//   requires the BitstringStatusListCredential / BitstringStatusList types,
//   gunzips encodedList and reads bit statusListIndex, first bit = 0x80 of
//   the first byte (Bitstring Status List v1.0 §3.2 steps 4-8).
// - It returns {verified, results: [{verified, credentialStatus, status}]}:
//   `status` is the bit (true = set) and `verified` only says the list was
//   loaded and verified. A set revocation bit does NOT make `verified` false,
//   so vc.verifyCredential() reports a revoked credential as verified. The
//   caller must read the bits: see statusVerdict().
// - When one entry fails, the whole call fails with that one error and no
//   per-entry results; checkStatuses() then checks each entry alone to say
//   which purpose failed.
// - It does not implement statusSize > 1, statusMessage, the minimum list
//   length (STATUS_LIST_LENGTH_ERROR) or a statusPurpose array on the list.
import * as bsl from '@digitalbazaar/vc-bitstring-status-list';
import {errorMessages} from './errors.mjs';

/**
 * Status purposes whose set bit means "not valid now" (Bitstring Status List
 * v1.0 §2.1): revocation (permanent) and suspension (reversible). A set bit
 * of another purpose (refresh, message) is reported but does not invalidate.
 */
export const INVALIDATING_PURPOSES = Object.freeze(['revocation',
  'suspension']);

function entryReport(entry, result) {
  const ok = result.verified === true;
  return {
    purpose: entry?.statusPurpose ?? null,
    type: entry?.type ?? null,
    statusListCredential: entry?.statusListCredential ?? null,
    statusListIndex: entry?.statusListIndex ?? null,
    verified: ok,
    status: ok ? result.status : null,
    error: ok ? null : errorMessages(result.error).join('; ') ||
      'not verified'
  };
}

/**
 * A `checkStatus` for vc.verifyCredential(): the library's own verdict on all
 * entries at once, plus one report per entry.
 *
 * @param {object} options - what vc.verifyCredential passes: credential,
 *   suite, documentLoader, ...
 * @returns {Promise<object>} {verified, error, results}: `verified` and
 *   `error` are the library's; `results` has one entryReport per
 *   credentialStatus entry, in document order.
 */
export async function checkStatuses(options) {
  const {credential, suite, documentLoader} = options;
  const whole = await bsl.checkStatus({credential, suite, documentLoader});
  const entries = [].concat(credential.credentialStatus ?? []);
  let results;
  if(whole.verified && whole.results.length === entries.length) {
    results = whole.results.map(r => entryReport(r.credentialStatus, r));
  } else {
    results = await Promise.all(entries.map(async entry => {
      const one = await bsl.checkStatus({
        credential: {...credential, credentialStatus: entry},
        suite, documentLoader
      });
      return entryReport(entry, one.verified ? one.results[0] :
        {verified: false, error: one.error});
    }));
  }
  return {verified: whole.verified, error: whole.error, results};
}

/**
 * The bits of each purpose: true if an entry of that purpose has its bit
 * set, false if every entry of that purpose was read and is unset, null if
 * one could not be read (and none is set).
 *
 * @param {object[]} results - entryReports.
 * @returns {object} {purpose: true|false|null}.
 */
export function statusByPurpose(results) {
  const out = {};
  for(const r of results) {
    const key = r.purpose ?? '(none)';
    const before = out[key];
    if(before === true || r.status === true) {
      out[key] = true;
    } else if(before === null || r.status === null) {
      out[key] = null;
    } else {
      out[key] = false;
    }
  }
  return out;
}

/**
 * Why a credential whose lists all verified is nevertheless not valid.
 *
 * @param {object[]} results - entryReports.
 * @returns {string[]} one message per set revocation/suspension bit.
 */
export function statusVerdict(results) {
  return results.filter(r => r.status === true &&
    INVALIDATING_PURPOSES.includes(r.purpose)).map(r =>
    `${r.purpose} bit ${r.statusListIndex} is set in ` +
    `${r.statusListCredential}`);
}
