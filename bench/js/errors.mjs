// Flatten the errors Digital Bazaar's libraries return into plain messages.

/**
 * The messages of an error, of the errors it aggregates (`errors`) and of
 * the error it wraps (`cause`, when its message is not already included).
 *
 * @param {*} error - an Error, an aggregate, or anything thrown.
 * @returns {string[]} messages, outermost first.
 */
export function errorMessages(error) {
  if(!error) {
    return [];
  }
  if(Array.isArray(error.errors)) {
    return error.errors.flatMap(errorMessages);
  }
  let msg = error.message || String(error);
  // jsonld safe-mode errors only say "Safe mode validation error."; the
  // offending term is in details.event
  const ev = error.details?.event;
  if(ev) {
    msg += ` (${ev.code}: ${ev.message} ${JSON.stringify(ev.details)})`;
  }
  const inner = errorMessages(error.cause).filter(m => !msg.includes(m));
  return [msg, ...inner];
}
