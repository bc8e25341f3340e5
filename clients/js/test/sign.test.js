// The signing vectors of the repository (testdata/sign_vectors.json, SPEC §3)
// and the corners of the canonicalization they do not reach.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { canonicalString, jsonParams, md5Hex, requestParams, sign } from '../src/sign.js';

const vectorsURL = new URL('../../../testdata/sign_vectors.json', import.meta.url);
const { vectors } = JSON.parse(readFileSync(vectorsURL, 'utf8'));

test('the vector file has the eight vectors of SPEC §3', () => {
  assert.equal(vectors.length, 8);
});

for (const v of vectors) {
  test(`vector ${v.name}`, () => {
    const params = requestParams({
      query: new URLSearchParams(v.query).toString(),
      contentType: v.content_type,
      body: v.body,
    });
    assert.equal(canonicalString(params, v.auth_secret), v.canonical);
    assert.equal(sign(params, v.auth_secret), v.token);
    assert.match(sign(params, v.auth_secret), /^[0-9a-f]{32}$/);
  });
}

test('a wrong secret gives another token', () => {
  const v = vectors[0];
  const params = requestParams({ query: new URLSearchParams(v.query).toString() });
  assert.notEqual(sign(params, v.auth_secret + 'x'), v.token);
});

test('names sort by code point, not by UTF-16 unit', () => {
  // U+FF01 is one UTF-16 unit above the surrogates of U+1F600, but its code
  // point (and UTF-8) is lower: the server puts it first.
  const params = [['\u{1F600}', 'astral'], ['\uFF01', 'bmp']];
  assert.equal(canonicalString(params, 's'), 'bmpastrals');
});

test('an object of values renders like the JSON body it becomes', () => {
  const obj = { nick: '', level: 1.5, ok: false, avatar: null, tags: ['go', 'gin'], meta: { b: 1 }, gone: undefined };
  const body = JSON.stringify(obj);
  const fromBody = requestParams({ contentType: 'application/json; charset=utf-8', body });
  assert.equal(canonicalString(obj, 'S'), canonicalString(fromBody, 'S'));
  // avatar (null), level, meta, nick (""), ok, tags; gone is left out.
  assert.equal(canonicalString(obj, 'S'), '1.5{"b":1}false["go","gin"]S');
});

test('token and auth_key are never signed, wherever and however often they occur', () => {
  const params = [['token', 'a'], ['auth_key', 'k'], ['x', '1'], ['token', 'b'], ['auth_key', 'j']];
  assert.equal(canonicalString(params, 'S'), '1S');
});

test('JSON members: nested whitespace dropped, strings decoded, escapes kept inside values', () => {
  const body = '{ "b" : { "k" : "a b\\n" , "l" : [ 1 , 2 ] } , "a" : "\\u00e9" , "n" : null , "t" : true , "f" : -1.0e+3 }';
  assert.deepEqual(jsonParams(body), [
    ['b', '{"k":"a b\\n","l":[1,2]}'],
    ['a', 'é'],
    ['n', ''],
    ['t', 'true'],
    ['f', '-1.0e+3'],
  ]);
  assert.deepEqual(jsonParams('{}'), []);
  assert.deepEqual(jsonParams('{"\\u0061":"x"}'), [['a', 'x']]);
});

test('JSON bodies the server refuses are refused', () => {
  assert.throws(() => jsonParams('[1]'), TypeError);
  assert.throws(() => jsonParams('"x"'), TypeError);
  assert.throws(() => jsonParams('null'), TypeError);
  assert.throws(() => jsonParams('{"a":1,"a":2}'), /duplicate JSON member "a"/);
  assert.throws(() => jsonParams('{"a":'), SyntaxError);
});

test('bodies of other media types and empty JSON bodies sign nothing', () => {
  assert.deepEqual(requestParams({ query: 'a=1', contentType: 'text/plain', body: 'b=2' }), [['a', '1']]);
  assert.deepEqual(requestParams({ query: '?a=1+2', contentType: 'application/json', body: '  ' }), [['a', '1 2']]);
});

test('md5Hex hashes UTF-8 bytes', () => {
  assert.equal(md5Hex('111111'), '96e79218965eb72c92a549dd5a330112');
  // node's own md5 as an independent oracle for non-ASCII text.
  assert.equal(md5Hex('小灰 😀'), createHash('md5').update('小灰 😀', 'utf8').digest('hex'));
});
