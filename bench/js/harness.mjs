#!/usr/bin/env node
// microcred's harness around Digital Bazaar's JavaScript VC / Data Integrity
// implementation (@digitalbazaar/vc + data-integrity + eddsa-rdfc-2022).
// Used as a speed baseline and as an independent interop check. Offline: see
// loader.mjs. Run `node harness.mjs --help`.
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {performance} from 'node:perf_hooks';
import {isDeepStrictEqual} from 'node:util';
import * as vc from '@digitalbazaar/vc';
import jsigs from 'jsonld-signatures';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as bsl from '@digitalbazaar/vc-bitstring-status-list';
import {makeDocumentLoader, DEFAULT_CONTEXTS_DIR} from './loader.mjs';
import {checkStatuses, statusByPurpose, statusVerdict} from
  './status.mjs';
import {errorMessages} from './errors.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PACKAGES = [
  '@digitalbazaar/vc', '@digitalbazaar/data-integrity',
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite',
  '@digitalbazaar/ed25519-multikey', '@digitalbazaar/did-method-key',
  '@digitalbazaar/vc-bitstring-status-list', '@digitalbazaar/bitstring',
  'jsonld', 'jsonld-signatures', 'rdf-canonize'
];

const USAGE = `usage:
  node harness.mjs sign   --credential FILE --key KEYPAIR.json --vm VM_ID [--created ISO]
  node harness.mjs verify --credential FILE [--did-doc FILE]... [--mode proof|vc]
  node harness.mjs verify --with-status --credential FILE
                          [--did-document FILE]... [--status-list FILE]...
  node harness.mjs bench  --credential UNSIGNED.json --key KEYPAIR.json --vm VM_ID
                          --iterations N [--warmup W] [--mode proof|vc]
                          [--did-doc FILE]... [--no-didkey-cache]
  node harness.mjs selftest [--vectors DIR]
common options:
  --contexts DIR   folder with manifest.json (default: ${DEFAULT_CONTEXTS_DIR})
  --did-doc FILE   a controller document (did:web DID document, or any
                   controller document) served offline at its "id"; repeatable
                   (--did-document is the same option)
  --status-list FILE
                   a BitstringStatusListCredential served offline at its "id";
                   repeatable
  --mode proof     (default) jsonld-signatures verify with AssertionProofPurpose:
                   proof value + the vm is listed under assertionMethod by its
                   controller. No credential checks, no status checks.
  --mode vc        @digitalbazaar/vc verifyCredential: also the VC data model
                   checks (dates, issuer URL...) and the library's rule that the
                   issuer id must equal the vm's controller. credentialStatus is
                   NOT checked (a stub status checker is passed).
  --with-status    --mode vc, and credentialStatus IS checked with
                   @digitalbazaar/vc-bitstring-status-list: every status list
                   credential is loaded (only from --status-list files), its
                   proof and issuer are verified, and its bit is read. Adds
                   "status" (one result per entry) and "statusByPurpose" to the
                   output; "verified" is false when a revocation or
                   suspension bit is set ("libraryVerified" is what
                   vc.verifyCredential said: it ignores the bit values).`;

function parseArgs(argv) {
  const [cmd, ...rest] = argv;
  const opts = {didDoc: [], statusList: []};
  for(let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if(!a.startsWith('--')) {
      throw new Error(`unexpected argument ${a}`);
    }
    const name = a.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if(['noDidkeyCache', 'help', 'withStatus'].includes(name)) {
      opts[name] = true;
      continue;
    }
    const value = rest[++i];
    if(value === undefined) {
      throw new Error(`${a} needs a value`);
    }
    if(name === 'didDoc' || name === 'didDocument') {
      opts.didDoc.push(value);
    } else if(name === 'statusList') {
      opts.statusList.push(value);
    } else {
      opts[name] = value;
    }
  }
  return {cmd, opts};
}

function need(opts, ...names) {
  for(const n of names) {
    if(opts[n] === undefined) {
      throw new Error(`--${n.replace(/[A-Z]/g, c => '-' + c.toLowerCase())} ` +
        'is required');
    }
  }
}

const readJson = file => JSON.parse(readFileSync(file, 'utf8'));

function loaderFor(opts) {
  return makeDocumentLoader({
    contextsDir: opts.contexts || DEFAULT_CONTEXTS_DIR,
    controllerDocFiles: opts.didDoc,
    statusListFiles: opts.statusList,
    cacheDidKey: !opts.noDidkeyCache
  });
}

/**
 * Load a Multikey key pair file and return an Ed25519Multikey key pair whose
 * id is the given verification method id.
 *
 * Accepts secretKeyMultibase or privateKeyMultibase (same encoding: multibase
 * base58btc of 0x8026 + key bytes). The key bytes may be the 32-byte seed
 * (current Multikey) or the old 64-byte seed||publicKey form. The library
 * would accept the 64-byte form as is but silently uses only its first 32
 * bytes; we check that its tail equals the public key, and then canonicalize
 * to the 32-byte seed. In both cases the seed must derive publicKeyMultibase.
 */
export async function loadSigningKey(file, vm, {log = () => {}} = {}) {
  const json = readJson(file);
  const {publicKeyMultibase} = json;
  const secretKeyMultibase = json.secretKeyMultibase ??
    json.privateKeyMultibase;
  if(!publicKeyMultibase || !secretKeyMultibase) {
    throw new Error(`${file}: needs publicKeyMultibase and ` +
      'secretKeyMultibase (or privateKeyMultibase)');
  }
  let key = await Ed25519Multikey.from({
    publicKeyMultibase, secretKeyMultibase
  });
  // re-encoding must give back the input, which checks both multicodec
  // headers (0xed01 public, 0x8026 secret) that the decoder just skips
  const raw = await key.export({publicKey: true, secretKey: true,
    includeContext: false});
  if(raw.publicKeyMultibase !== publicKeyMultibase ||
    raw.secretKeyMultibase !== secretKeyMultibase) {
    throw new Error(`${file}: not an Ed25519 Multikey pair (bad header)`);
  }
  const {publicKey, secretKey} = key;
  if(secretKey.length === 64) {
    if(!Buffer.from(secretKey.subarray(32)).equals(Buffer.from(publicKey))) {
      throw new Error(`${file}: 64-byte secret key whose last 32 bytes are ` +
        'not the public key');
    }
    const canonical = await key.export({publicKey: true, secretKey: true,
      includeContext: false, canonicalize: true});
    log(`note: ${file}: legacy 64-byte (seed||public) secret key; ` +
      `using its 32-byte seed (${canonical.secretKeyMultibase})`);
    key = await Ed25519Multikey.from({
      publicKeyMultibase, secretKeyMultibase: canonical.secretKeyMultibase
    });
  } else if(secretKey.length !== 32) {
    throw new Error(`${file}: secret key is ${secretKey.length} bytes`);
  }
  const derived = await Ed25519Multikey.generate({seed: key.secretKey});
  if(derived.publicKeyMultibase !== publicKeyMultibase) {
    throw new Error(`${file}: the secret key does not derive ` +
      `publicKeyMultibase ${publicKeyMultibase}`);
  }
  if(json.id && json.id !== vm) {
    log(`note: ${file} has id ${json.id}; signing with --vm ${vm}`);
  }
  if(vm.startsWith('did:key:')) {
    const fp = vm.slice('did:key:'.length).split('#')[0];
    if(fp !== publicKeyMultibase) {
      throw new Error(`--vm ${vm} is a did:key of another key than ` +
        publicKeyMultibase);
    }
  }
  const controller = vm.includes('#') ? vm.slice(0, vm.indexOf('#')) : vm;
  return Ed25519Multikey.from({
    id: vm, controller, publicKeyMultibase,
    secretKeyMultibase: (await key.export({publicKey: true, secretKey: true,
      includeContext: false})).secretKeyMultibase
  });
}

export async function sign({credential, keyPair, created, documentLoader}) {
  const suite = new DataIntegrityProof({
    signer: keyPair.signer(), date: created, cryptosuite: eddsaRdfc2022
  });
  // vc.issue() adds issuanceDate to v1 credentials in place: work on a copy
  return vc.issue({
    credential: structuredClone(credential), suite, documentLoader
  });
}

/**
 * Verify a credential with Digital Bazaar's stack.
 *
 * @param {object} options
 * @param {object} options.credential - the signed credential.
 * @param {Function} options.documentLoader - see loader.mjs.
 * @param {string} [options.mode='proof'] - 'proof' or 'vc' (see USAGE).
 * @param {boolean} [options.withStatus=false] - check credentialStatus with
 *   @digitalbazaar/vc-bitstring-status-list (needs mode 'vc').
 * @returns {Promise<object>} {verified, mode, error}, and with withStatus
 *   also {libraryVerified, status, statusByPurpose}.
 */
export async function verify({credential, documentLoader, mode = 'proof',
  withStatus = false}) {
  if(withStatus && mode !== 'vc') {
    throw new Error('--with-status needs --mode vc (status is checked by ' +
      'vc.verifyCredential)');
  }
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  let result;
  try {
    if(mode === 'vc') {
      result = await vc.verifyCredential({
        credential, suite, documentLoader,
        // without --with-status, status is out of scope: accept any
        // credentialStatus unchecked
        checkStatus: withStatus ? checkStatuses :
          async () => ({verified: true})
      });
    } else if(mode === 'proof') {
      result = await jsigs.verify(credential, {
        suite, documentLoader,
        purpose: new jsigs.purposes.AssertionProofPurpose()
      });
    } else {
      throw new Error(`unknown --mode ${mode}`);
    }
  } catch(e) {
    const out = {verified: false, mode, error: errorMessages(e).join('; ')};
    return withStatus ? {...out, libraryVerified: false, status: null,
      statusByPurpose: null} : out;
  }
  const msgs = errorMessages(result.error);
  for(const r of result.results || []) {
    msgs.push(...errorMessages(r.error),
      ...errorMessages(r.purposeResult?.error));
  }
  const statusResult = result.statusResult;
  if(statusResult && !statusResult.verified) {
    // vc.verifyCredential sets verified = false but passes no error on
    msgs.push(...errorMessages(statusResult.error));
  }
  let verified = result.verified;
  if(!withStatus) {
    return {verified, mode,
      error: verified ? null : [...new Set(msgs)].join('; ') || 'not verified'};
  }
  // null: not checked (the proof or a credential check failed first, or
  // there is no credentialStatus)
  const status = statusResult ? statusResult.results : null;
  if(verified && status) {
    const set = statusVerdict(status);
    if(set.length) {
      verified = false;
      msgs.push(...set);
    }
  }
  return {
    verified, mode,
    error: verified ? null : [...new Set(msgs)].join('; ') || 'not verified',
    libraryVerified: result.verified,
    status,
    statusByPurpose: status ? statusByPurpose(status) : null
  };
}

export function versions() {
  const out = {node: process.versions.node};
  for(const name of PACKAGES) {
    const pkg = readJson(path.join(HERE, 'node_modules', name, 'package.json'));
    out[name] = pkg.version;
  }
  return out;
}

async function bench(opts) {
  need(opts, 'credential', 'key', 'vm', 'iterations');
  const n = Number.parseInt(opts.iterations, 10);
  const warmup = Number.parseInt(opts.warmup ?? '10', 10);
  const mode = opts.mode || 'proof';
  if(!(n > 0) || !(warmup >= 0)) {
    throw new Error('--iterations must be > 0 and --warmup >= 0');
  }
  const documentLoader = loaderFor(opts);
  const credential = readJson(opts.credential);
  const keyPair = await loadSigningKey(opts.key, opts.vm,
    {log: m => console.error(m)});
  const created = opts.created;

  let signed;
  for(let i = 0; i < warmup; i++) {
    signed = await sign({credential, keyPair, created, documentLoader});
    const r = await verify({credential: signed, documentLoader, mode});
    if(!r.verified) {
      throw new Error(`warm-up verification failed: ${r.error}`);
    }
  }
  let t0 = performance.now();
  for(let i = 0; i < n; i++) {
    signed = await sign({credential, keyPair, created, documentLoader});
  }
  const signMs = performance.now() - t0;
  let failures = 0;
  t0 = performance.now();
  for(let i = 0; i < n; i++) {
    const r = await verify({credential: signed, documentLoader, mode});
    if(!r.verified) {
      failures++;
    }
  }
  const verifyMs = performance.now() - t0;
  if(failures) {
    throw new Error(`${failures}/${n} verifications failed`);
  }
  return {
    implementation: 'digitalbazaar (js)',
    cryptosuite: 'eddsa-rdfc-2022',
    sign_ms_per_op: +(signMs / n).toFixed(4),
    verify_ms_per_op: +(verifyMs / n).toFixed(4),
    iterations: n,
    warmup,
    verify_mode: mode,
    didkey_cache: !opts.noDidkeyCache,
    versions: versions()
  };
}

async function selftest(opts) {
  // the checks from the harness's brief, against shared/vectors
  const vectors = opts.vectors ||
    path.resolve(HERE, '..', '..', '..', 'shared', 'vectors');
  const ed = path.join(vectors, 'vc-di-eddsa');
  const ob = path.join(vectors, 'openbadges-3.0', 'ldp-test-vector');
  const obDoc = path.join(HERE, 'fixtures', 'ob-ldp-test-vector-issuer.json');
  const results = [];
  const check = async (name, fn) => {
    try {
      const detail = await fn();
      results.push({name, ok: true, detail});
    } catch(e) {
      results.push({name, ok: false, detail: e.message});
    }
  };
  const dl = makeDocumentLoader({contextsDir: opts.contexts ||
    DEFAULT_CONTEXTS_DIR});
  const dlOb = makeDocumentLoader({contextsDir: opts.contexts ||
    DEFAULT_CONTEXTS_DIR, controllerDocFiles: [obDoc]});
  const edSigned = readJson(
    path.join(ed, 'eddsa-rdfc-2022', 'signedDataInt.json'));
  const obSigned = readJson(path.join(ob, 'signed.json'));
  const expectEq = (a, b) => {
    if(a !== b) {
      throw new Error(`got ${a}, expected ${b}`);
    }
    return a;
  };

  await check('sign vc-di-eddsa unsigned.json = signedDataInt.json', async () => {
    const keyPair = await loadSigningKey(path.join(ed, 'keyPair.json'),
      edSigned.proof.verificationMethod);
    const s = await sign({credential: readJson(path.join(ed, 'unsigned.json')),
      keyPair, created: edSigned.proof.created, documentLoader: dl});
    if(!isDeepStrictEqual(s, edSigned)) {
      throw new Error(`differs: ${JSON.stringify(s.proof)}`);
    }
    return s.proof.proofValue;
  });
  await check('verify (proof) vc-di-eddsa signedDataInt.json', async () =>
    expectEq((await verify({credential: edSigned, documentLoader: dl}))
      .verified, true));
  await check('verify (proof) OB 3.0 signed.json', async () =>
    expectEq((await verify({credential: obSigned, documentLoader: dlOb}))
      .verified, true));
  await check('sign OB 3.0 unsigned.json (64-byte key) = signed.json',
    async () => {
      const keyPair = await loadSigningKey(path.join(ob, 'keyPair.json'),
        obSigned.proof.verificationMethod);
      const s = await sign({credential: readJson(path.join(ob, 'unsigned.json')),
        keyPair, created: obSigned.proof.created, documentLoader: dlOb});
      return expectEq(s.proof.proofValue, obSigned.proof.proofValue);
    });
  await check('verify (vc) OB 3.0 signed.json (issuer = vm controller)',
    async () => expectEq((await verify({credential: obSigned,
      documentLoader: dlOb, mode: 'vc'})).verified, true));
  await check('verify (vc) vc-di-eddsa is rejected: issuer != did:key',
    async () => {
      const r = await verify({credential: edSigned, documentLoader: dl,
        mode: 'vc'});
      expectEq(r.verified, false);
      return r.error;
    });
  await check('tampered credential is rejected', async () => {
    const t = structuredClone(edSigned);
    t.credentialSubject.alumniOf = 'Another School';
    return expectEq((await verify({credential: t, documentLoader: dl}))
      .verified, false);
  });
  await check('unknown URL is refused (no network)', async () => {
    try {
      await dl('https://example.com/context.jsonld');
    } catch(e) {
      return e.message;
    }
    throw new Error('loaded');
  });
  await statusSelftest({check, expectEq, ed, edSigned,
    contextsDir: opts.contexts || DEFAULT_CONTEXTS_DIR});
  for(const r of results) {
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}` +
      (r.ok ? '' : `: ${r.detail}`));
  }
  const failed = results.filter(r => !r.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed === 0;
}

/**
 * --with-status against status lists built here with the library's own
 * createList/createCredential and signed with the vc-di-eddsa test key
 * (issuer = its did:key, so that vc.verifyCredential's issuer == controller
 * rule holds for the credential and for the lists).
 */
async function statusSelftest({check, expectEq, ed, edSigned, contextsDir}) {
  const vm = edSigned.proof.verificationMethod;
  const did = vm.split('#')[0];
  const keyPair = await loadSigningKey(path.join(ed, 'keyPair.json'), vm);
  const base = 'https://status.example/lists';
  const created = '2025-01-01T00:00:00Z';
  const dl = makeDocumentLoader({contextsDir});
  const makeList = async (purpose, setBits) => {
    const list = await bsl.createList({length: 131072});
    for(const i of setBits) {
      list.setStatus(i, true);
    }
    const unsigned = await bsl.createCredential({
      id: `${base}/${purpose}/1`, list, statusPurpose: purpose
    });
    unsigned.issuer = did;
    return sign({credential: unsigned, keyPair, created, documentLoader: dl});
  };
  const revocation = await makeList('revocation', [7]);
  const suspension = await makeList('suspension', [9]);
  const entry = (purpose, index) => ({
    id: `${base}/${purpose}/1#${index}`, type: 'BitstringStatusListEntry',
    statusPurpose: purpose, statusListIndex: String(index),
    statusListCredential: `${base}/${purpose}/1`
  });
  const credential = async (revocationIndex, suspensionIndex) => {
    const unsigned = readJson(path.join(ed, 'unsigned.json'));
    unsigned.issuer = did;
    unsigned.credentialStatus = [entry('revocation', revocationIndex),
      entry('suspension', suspensionIndex)];
    return sign({credential: unsigned, keyPair, created, documentLoader: dl});
  };
  const run = (cred, lists = [revocation, suspension]) => verify({
    credential: cred, mode: 'vc', withStatus: true,
    documentLoader: makeDocumentLoader({contextsDir, statusLists: lists})
  });
  const expectStatus = (r, verified, byPurpose) => {
    expectEq(r.verified, verified);
    expectEq(JSON.stringify(r.statusByPurpose), JSON.stringify(byPurpose));
    return r.error;
  };
  await check('status: unset bits → verified', async () =>
    expectStatus(await run(await credential(8, 8)), true,
      {revocation: false, suspension: false}));
  await check('status: revocation bit 7 set → not verified', async () => {
    const r = await run(await credential(7, 8));
    // the library itself says verified: it only reports the bit
    expectEq(r.libraryVerified, true);
    return expectStatus(r, false, {revocation: true, suspension: false});
  });
  await check('status: suspension bit 9 set → not verified', async () =>
    expectStatus(await run(await credential(8, 9)), false,
      {revocation: false, suspension: true}));
  await check('status: one object (not an array) is checked too',
    async () => {
      const unsigned = readJson(path.join(ed, 'unsigned.json'));
      unsigned.issuer = did;
      unsigned.credentialStatus = entry('revocation', 7);
      const signed = await sign({credential: unsigned, keyPair, created,
        documentLoader: dl});
      return expectStatus(await run(signed), false, {revocation: true});
    });
  await check('status: list with a cleared bit, proof kept → rejected',
    async () => {
      const list = await bsl.decodeList(
        {encodedList: revocation.credentialSubject.encodedList});
      list.setStatus(7, false);
      const forged = structuredClone(revocation);
      forged.credentialSubject.encodedList = await list.encode();
      const r = await run(await credential(7, 8), [forged, suspension]);
      expectEq(r.libraryVerified, false);
      expectEq(r.status[0].verified, false);
      expectEq(r.status[1].verified, true);
      return expectStatus(r, false, {revocation: null, suspension: false});
    });
  await check('status: a list that was not supplied → not verified',
    async () => {
      const r = await run(await credential(8, 8), [revocation]);
      expectEq(r.status[1].error.includes('offline document loader'), true);
      return expectStatus(r, false, {revocation: false, suspension: null});
    });
}

async function main() {
  const {cmd, opts} = parseArgs(process.argv.slice(2));
  if(!cmd || opts.help || cmd === 'help' || cmd === '--help') {
    console.log(USAGE);
    return 0;
  }
  if(cmd === 'sign') {
    need(opts, 'credential', 'key', 'vm');
    const documentLoader = loaderFor(opts);
    const keyPair = await loadSigningKey(opts.key, opts.vm,
      {log: m => console.error(m)});
    const signed = await sign({credential: readJson(opts.credential),
      keyPair, created: opts.created, documentLoader});
    if(opts.created && signed.proof.created !== opts.created) {
      console.error(`note: created written as ${signed.proof.created} ` +
        '(the library keeps whole seconds, UTC)');
    }
    console.log(JSON.stringify(signed, null, 2));
    return 0;
  }
  if(cmd === 'verify') {
    need(opts, 'credential');
    const withStatus = opts.withStatus === true;
    const result = await verify({credential: readJson(opts.credential),
      documentLoader: loaderFor(opts),
      mode: opts.mode || (withStatus ? 'vc' : 'proof'), withStatus});
    console.log(JSON.stringify(result));
    return result.verified ? 0 : 1;
  }
  if(cmd === 'bench') {
    console.log(JSON.stringify(await bench(opts), null, 2));
    return 0;
  }
  if(cmd === 'selftest') {
    return (await selftest(opts)) ? 0 : 1;
  }
  throw new Error(`unknown subcommand ${cmd}\n${USAGE}`);
}

if(process.argv[1] && path.resolve(process.argv[1]) ===
  fileURLToPath(import.meta.url)) {
  main().then(code => {
    process.exitCode = code;
  }, e => {
    console.error(`error: ${errorMessages(e).join('; ')}`);
    process.exitCode = 2;
  });
}
