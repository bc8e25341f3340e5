// Request signing, legacy md5 scheme version 1 (SPEC §3), the same
// canonicalization as the server's services/signing.
//
// token = md5(values of every parameter except `token` and `auth_key`,
// ordered by name in byte order of UTF-8, a name's values in order of
// appearance, query before body, + auth_secret), 32 lowercase hex digits.
//
// Runs unchanged in node and in a browser (ES module, no bundler): md5 comes
// from @noble/hashes, UTF-8 from TextEncoder.
import { md5 } from '@noble/hashes/legacy.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * One request parameter as the server sees it: its name and its value
 * rendered as SPEC §3 says (decoded strings; JSON null as ""; other JSON
 * values as their literal text without whitespace outside strings).
 * @typedef {[name: string, value: string]} SignParam
 */

/** Parameters that are never part of the canonical string (SPEC §3). */
const UNSIGNED = new Set(['token', 'auth_key']);

/**
 * md5 of a string's UTF-8 bytes, 32 lowercase hex digits. Also what SPEC §5
 * asks clients to send as `password` (md5 of the plaintext).
 * @param {string} text
 * @returns {string}
 */
export function md5Hex(text) {
  return bytesToHex(md5(utf8ToBytes(text)));
}

/**
 * Renders a JavaScript value the way the server reads it once it has been
 * sent as a query value or a JSON member: strings as they are, null as "",
 * anything else as its JSON text (what JSON.stringify puts in a body, and
 * for numbers and booleans also what String() puts in a query string).
 * @param {unknown} value
 * @returns {string}
 */
function render(value) {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  return JSON.stringify(value);
}

/**
 * Normalises the parameters: an array of [name, value] pairs is taken as
 * is (order of appearance kept); a plain object contributes its own
 * enumerable members in insertion order, each value rendered (undefined
 * members are skipped, as JSON.stringify and URLSearchParams would leave
 * them out).
 * @param {SignParam[] | Record<string, unknown>} params
 * @returns {SignParam[]}
 */
function toPairs(params) {
  if (Array.isArray(params)) {
    return params.map(([name, value]) => [String(name), render(value)]);
  }
  return Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([name, value]) => [name, render(value)]);
}

/**
 * Compares two names by Unicode code point (the byte order of their UTF-8
 * form, which Go's string comparison uses). JavaScript's own `<` compares
 * UTF-16 code units, which orders U+E000–U+FFFF after the astral planes.
 * @param {string} a
 * @param {string} b
 * @returns {number}
 */
function compareCodePoints(a, b) {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    const d = x.value.codePointAt(0) - y.value.codePointAt(0);
    if (d !== 0) return d;
  }
}

/**
 * The canonical string of SPEC §3: the values of every parameter except
 * `token` and `auth_key`, ordered by name (code point order; a name's
 * values keep their order of appearance, so list query parameters before
 * body parameters), concatenated, then authSecret.
 * @param {SignParam[] | Record<string, unknown>} params
 * @param {string} authSecret
 * @returns {string}
 */
export function canonicalString(params, authSecret) {
  const pairs = toPairs(params).filter(([name]) => !UNSIGNED.has(name));
  // Array.prototype.sort is stable (ES2019): equal names keep their order.
  pairs.sort((p, q) => compareCodePoints(p[0], q[0]));
  return pairs.map(([, value]) => value).join('') + authSecret;
}

/**
 * The signature `token` of SPEC §3: md5 of canonicalString(params,
 * authSecret), 32 lowercase hex digits.
 *
 * @example
 * sign([['timestamp', '1529379565395'], ['type', 'login'], ['mobile', '18701086068']],
 *      'G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh') // 'e47faedcccab34f2f91ddba207dad5f8'
 *
 * @param {SignParam[] | Record<string, unknown>} params the request's
 *   parameters: [name, value] pairs (values already rendered, e.g. from
 *   requestParams) in order of appearance, or an object of values (strings
 *   as they are, null as "", others as their JSON text).
 * @param {string} authSecret the app's auth_secret (sign.apps in the server
 *   configuration).
 * @returns {string}
 */
export function sign(params, authSecret) {
  return md5Hex(canonicalString(params, authSecret));
}

/**
 * The pairs of a query string or an application/x-www-form-urlencoded body,
 * decoded (`+` is a space), in order of appearance.
 * @param {string | URLSearchParams} text with or without a leading "?"
 * @returns {SignParam[]}
 */
export function formParams(text) {
  return [...new URLSearchParams(text)];
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/**
 * The top-level members of a JSON object body as the server signs them
 * (SPEC §3): names decoded; string values decoded; null as ""; numbers,
 * booleans, objects and arrays as their literal text in the body with the
 * whitespace outside strings removed (`1.50` stays `1.50`, escapes inside
 * nested strings stay as sent).
 *
 * @param {string} text the body exactly as it is sent.
 * @returns {SignParam[]} in order of appearance.
 * @throws {SyntaxError} when the body is not JSON.
 * @throws {TypeError} when it is not an object or repeats a member name
 *   (the server answers 400 to both).
 */
export function jsonParams(text) {
  const parsed = JSON.parse(text); // validates; the scan below can trust the syntax
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TypeError('body must be a JSON object');
  }
  let i = 0;
  const skipSpace = () => {
    while (WHITESPACE.has(text[i])) i++;
  };
  // Returns the end (exclusive) of the string literal opening at start.
  const stringEnd = (start) => {
    let j = start + 1;
    while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    return j + 1;
  };
  // Returns the end (exclusive) of the value starting at start.
  const valueEnd = (start) => {
    if (text[start] === '"') return stringEnd(start);
    let depth = 0;
    let j = start;
    for (; j < text.length; j++) {
      const c = text[j];
      if (c === '"') {
        j = stringEnd(j) - 1;
      } else if (c === '{' || c === '[') {
        depth++;
      } else if (c === '}' || c === ']') {
        if (depth === 0) break;
        depth--;
        if (depth === 0) return j + 1;
      } else if (c === ',' && depth === 0) {
        break;
      }
    }
    // A scalar (number, true, false, null) ends at the delimiter.
    return j;
  };
  const pairs = [];
  const seen = new Set();
  skipSpace();
  i++; // '{'
  skipSpace();
  while (text[i] !== '}') {
    const nameEnd = stringEnd(i);
    const name = JSON.parse(text.slice(i, nameEnd));
    if (seen.has(name)) throw new TypeError(`duplicate JSON member ${JSON.stringify(name)}`);
    seen.add(name);
    i = nameEnd;
    skipSpace();
    i++; // ':'
    skipSpace();
    const end = valueEnd(i);
    const literal = text.slice(i, end).trimEnd();
    let value;
    if (literal[0] === '"') value = JSON.parse(literal);
    else if (literal === 'null') value = '';
    else value = compactLiteral(literal);
    pairs.push([name, value]);
    i = end;
    skipSpace();
    if (text[i] === ',') {
      i++;
      skipSpace();
    }
  }
  return pairs;
}

/**
 * Removes the JSON whitespace outside string literals of a valid JSON value.
 * @param {string} literal
 * @returns {string}
 */
function compactLiteral(literal) {
  let out = '';
  let inString = false;
  for (let j = 0; j < literal.length; j++) {
    const c = literal[j];
    if (inString) {
      out += c;
      if (c === '\\') {
        out += literal[++j];
      } else if (c === '"') {
        inString = false;
      }
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (!WHITESPACE.has(c)) {
      out += c;
    }
  }
  return out;
}

/**
 * Every signed parameter of a request, in order of appearance, as the
 * server collects them (SPEC §3): the query string's pairs, then the body's
 * by its media type: application/x-www-form-urlencoded pairs or the
 * top-level members of an application/json object. Other bodies contribute
 * nothing (multipart text fields are signed too, but this client never
 * sends multipart).
 *
 * @param {object} req
 * @param {string | URLSearchParams} [req.query] the query string.
 * @param {string | null} [req.contentType] the Content-Type header.
 * @param {string | null} [req.body] the body exactly as it is sent.
 * @returns {SignParam[]}
 * @throws {SyntaxError | TypeError} for a JSON body the server would refuse
 *   with 400 (see jsonParams).
 */
export function requestParams({ query = '', contentType = null, body = null }) {
  const pairs = formParams(query);
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (body != null && body !== '') {
    if (mediaType === 'application/json' && body.trim() !== '') pairs.push(...jsonParams(body));
    else if (mediaType === 'application/x-www-form-urlencoded') pairs.push(...formParams(body));
  }
  return pairs;
}
