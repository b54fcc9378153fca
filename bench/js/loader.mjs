// Offline JSON-LD document loader for the Digital Bazaar harness.
//
// Serves exactly three kinds of URL and throws for everything else (there is
// no network fallback):
//   1. the JSON-LD contexts listed in <contexts>/manifest.json
//      ({"contexts": {url: {"file": ...}}, "aliases": {url: url}}), read once
//      at start-up and returned with tag "static" so jsonld.js caches the
//      processed context across calls;
//   2. did:key DIDs and did:key verification-method URLs for Ed25519 Multikey
//      keys (z6Mk...), resolved with @digitalbazaar/did-method-key +
//      @digitalbazaar/ed25519-multikey;
//   3. controller documents given as local JSON files (a did:web DID document,
//      or any controller document such as the OB 3.0 test vector issuer's
//      https URL), served at their "id", with their verification methods
//      served at "<id>#fragment". A did:web DID (did:web:cert.example.edu.cn,
//      did:web:127.0.0.1%3A8000) is resolved only from such a file: the
//      loader never turns it into an https URL and never fetches it;
//   4. BitstringStatusListCredentials given as local JSON files, served at
//      their "id" (the credentialStatus.statusListCredential URL), exactly as
//      they are in the file.
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_CONTEXTS_DIR = path.resolve(HERE, '..', '..', 'contexts');
const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';

function readJsonFile(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch(e) {
    throw new Error(`${file}: ${e.message}`);
  }
}

export function loadContexts(contextsDir = DEFAULT_CONTEXTS_DIR) {
  const manifest = JSON.parse(
    readFileSync(path.join(contextsDir, 'manifest.json'), 'utf8'));
  const contexts = new Map();
  for(const [url, entry] of Object.entries(manifest.contexts || {})) {
    const document = JSON.parse(
      readFileSync(path.join(contextsDir, entry.file), 'utf8'));
    contexts.set(url, Object.freeze(document));
  }
  for(const [alias, target] of Object.entries(manifest.aliases || {})) {
    if(!contexts.has(target)) {
      throw new Error(`manifest alias ${alias} -> ${target}: unknown target`);
    }
    contexts.set(alias, contexts.get(target));
  }
  return contexts;
}

function _verificationMethods(doc) {
  // every verification method object the document embeds
  const out = [];
  for(const rel of RELATIONSHIPS) {
    const v = doc[rel];
    for(const item of (Array.isArray(v) ? v : v ? [v] : [])) {
      if(item && typeof item === 'object') {
        out.push(item);
      }
    }
  }
  return out;
}

function _absolute(id, base) {
  if(typeof id !== 'string') {
    return id;
  }
  return id.startsWith('#') ? base + id : id;
}

const RELATIONSHIPS = ['verificationMethod', 'assertionMethod',
  'authentication', 'capabilityInvocation', 'capabilityDelegation',
  'keyAgreement'];

function _absolutizeRefs(doc) {
  let changed = false;
  const out = {...doc};
  const fix = v => {
    const a = _absolute(v, doc.id);
    changed ||= a !== v;
    return a;
  };
  for(const rel of RELATIONSHIPS) {
    if(out[rel] === undefined) {
      continue;
    }
    out[rel] = [].concat(out[rel]).map(item => typeof item === 'string' ?
      fix(item) :
      {...item, id: fix(item.id), controller: fix(item.controller)});
  }
  return {doc: out, changed};
}

/**
 * Build the loader.
 *
 * @param {object} [options]
 * @param {string} [options.contextsDir] - folder holding manifest.json.
 * @param {string[]} [options.controllerDocFiles] - local controller/DID docs.
 * @param {string[]} [options.statusListFiles] - local status list credentials.
 * @param {object[]} [options.controllerDocs] - controller documents given as
 *   objects (the selftest builds its own); served like controllerDocFiles.
 * @param {object[]} [options.statusLists] - status list credentials given as
 *   objects; served like statusListFiles.
 * @param {boolean} [options.cacheDidKey=true] - memoize did:key resolution
 *   (a pure function of the URL).
 * @returns {Function} documentLoader(url) -> RemoteDocument.
 */
export function makeDocumentLoader({
  contextsDir = DEFAULT_CONTEXTS_DIR, controllerDocFiles = [],
  statusListFiles = [], controllerDocs = [], statusLists = [],
  cacheDidKey = true
} = {}) {
  const contexts = loadContexts(contextsDir);

  const didKey = didKeyDriver();
  didKey.use({
    multibaseMultikeyHeader: 'z6Mk',
    fromMultibase: Ed25519Multikey.from
  });
  const didKeyCache = new Map();

  // controller documents, their verification methods and status list
  // credentials, by absolute URL
  const localDocs = new Map();
  const sources = new Map();
  const serve = (url, document, source) => {
    if(sources.has(url)) {
      if(sources.get(url) === source) {
        // a verification method embedded under two relationships of the
        // same document: the first one is served
        return;
      }
      throw new Error(`${source}: "${url}" is already given by ` +
        `${sources.get(url)}`);
    }
    sources.set(url, source);
    localDocs.set(url, document);
  };
  const controllers = [
    ...controllerDocFiles.map(file => [readJsonFile(file), file]),
    ...controllerDocs.map(doc => [doc, `controller document ${doc.id}`])
  ];
  for(const [doc, file] of controllers) {
    if(typeof doc.id !== 'string') {
      throw new Error(`controller document ${file} has no string "id"`);
    }
    // DID Core allows relative DID URLs ("#key-1"); jsonld-signatures'
    // DID-document shortcut compares the raw strings of the verification
    // relationship with the absolute vm id, so resolve them here, as a DID
    // resolver would
    const {doc: absDoc, changed} = _absolutizeRefs(doc);
    if(changed) {
      console.error(`note: ${file}: relative verification method ` +
        `references resolved against ${doc.id}`);
    }
    serve(doc.id, absDoc, file);
    const ctx = [].concat(doc['@context'] || []);
    for(const vm of _verificationMethods(doc)) {
      const id = _absolute(vm.id, doc.id);
      const node = {...vm, id, controller: _absolute(vm.controller, doc.id)};
      // Ed25519Multikey.from() wants the Multikey context on the key node;
      // it adds it itself when the node has no @context at all.
      if(ctx.includes(MULTIKEY_V1)) {
        node['@context'] = MULTIKEY_V1;
      }
      serve(id, node, file);
    }
  }
  const lists = [
    ...statusListFiles.map(file => [readJsonFile(file), file]),
    ...statusLists.map(doc => [doc, `status list ${doc.id}`])
  ];
  for(const [doc, file] of lists) {
    if(typeof doc.id !== 'string') {
      throw new Error(`status list credential ${file} has no string "id" ` +
        '(it is served at its id, the statusListCredential URL)');
    }
    // served as is: checking it (proof, issuer, type, purpose) is the job of
    // the status list library, not of the loader
    serve(doc.id, doc, file);
  }

  async function resolveDidKey(url) {
    const [did, fragment] = url.split('#');
    const fingerprint = did.slice('did:key:'.length);
    if(!fingerprint.startsWith('z6Mk')) {
      throw new Error(`did:key ${did}: only Ed25519 (z6Mk...) is supported`);
    }
    if(fragment !== undefined && fragment !== fingerprint) {
      // did:key Ed25519 Multikey DIDs have exactly one verification method
      throw new Error(`did:key URL ${url}: unknown fragment`);
    }
    return didKey.get({url});
  }

  return async function documentLoader(url) {
    const context = contexts.get(url);
    if(context !== undefined) {
      return {contextUrl: null, documentUrl: url, document: context,
        tag: 'static'};
    }
    if(typeof url === 'string' && url.startsWith('did:key:')) {
      let document = cacheDidKey ? didKeyCache.get(url) : undefined;
      if(document === undefined) {
        document = await resolveDidKey(url);
        if(cacheDidKey) {
          didKeyCache.set(url, document);
        }
      }
      return {contextUrl: null, documentUrl: url, document};
    }
    const local = localDocs.get(url);
    if(local !== undefined) {
      return {contextUrl: null, documentUrl: url, document: local};
    }
    if(typeof url === 'string' && url.startsWith('did:web:')) {
      throw new Error(`offline document loader: did:web "${url}" is not ` +
        'in any --did-document file (did:web is never fetched)');
    }
    throw new Error(`offline document loader: refusing to load "${url}"`);
  };
}
