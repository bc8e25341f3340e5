// The collection's signer against the signature vectors (SPEC §3,
// testdata/sign_vectors.json) and the cases the server's canonicalization
// (services/signing) defines beyond them. crypto-js is pinned to the
// version bundled in newman's Postman sandbox (postman-sandbox 4.7.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import CryptoJS from 'crypto-js';
import { repoRoot } from '../../server.mjs';
import { BlogapiSign } from './collection.mjs';

const md5 = (s) => CryptoJS.MD5(s).toString(CryptoJS.enc.Hex);
const { vectors } = JSON.parse(readFileSync(`${repoRoot}/testdata/sign_vectors.json`, 'utf8'));

test('the vector file has vectors', () => {
  assert.ok(vectors.length >= 8, `only ${vectors.length} vectors`);
});

for (const v of vectors) {
  test(`vector ${v.name}`, () => {
    const req = { query: v.query, contentType: v.content_type, body: v.body };
    assert.equal(BlogapiSign.canonical(req, v.auth_secret), v.canonical);
    assert.equal(BlogapiSign.token(req, v.auth_secret, md5), v.token);
  });
}

const secret = 'S';
const canon = (req) => BlogapiSign.canonical(req, secret);
const json = (body) => canon({ contentType: 'application/json', body });

test('query and form pairs decode as Go url.QueryUnescape', () => {
  // Arrays of the script's own V8 context: compared as plain data.
  assert.deepEqual(JSON.parse(JSON.stringify(BlogapiSign.parsePairs('a=1+2&b=%E5%B0%8F&c&=e&&d=x=y'))), [
    ['a', '1 2'], ['b', '小'], ['c', ''], ['', 'e'], ['d', 'x=y'],
  ]);
  assert.throws(() => BlogapiSign.parsePairs('a=1;b=2'), /';' is not a separator/);
  assert.throws(() => BlogapiSign.parsePairs('a=%zz'), /invalid percent-encoding/);
  assert.throws(() => BlogapiSign.parsePairs('a=%ff'), /not UTF-8/);
});

test('form bodies sign their pairs; other media types contribute nothing', () => {
  assert.equal(canon({ contentType: 'application/x-www-form-urlencoded; charset=utf-8', body: 'b=2&a=1' }), '12S');
  assert.equal(canon({ contentType: 'text/plain', body: 'b=2&a=1' }), 'S');
  assert.equal(canon({ contentType: 'APPLICATION/JSON', body: '{"a":"1"}' }), '1S');
});

test('JSON members render as SPEC §3 says', () => {
  assert.equal(json('{"n":-1.50e+3,"t":true,"f":false,"z":null,"s":"x"}'), 'false-1.50e+3xtrueS');
  assert.equal(json(' {\n "a" : [ 1 , {"b" : "c d"} ] }\n'), '[1,{"b":"c d"}]S');
  assert.equal(json('{"a":"\\ud83d\\ude00","b":"\\ud800x","c":"\\/"}'), '😀\uFFFDx/S');
  assert.equal(json('{"\\u0061":"1"}'), '1S', 'escaped names are decoded');
  assert.equal(json('   '), 'S', 'an empty body has no parameters');
  assert.equal(json('{}'), 'S');
});

test('JSON bodies the server refuses', () => {
  assert.throws(() => json('[1]'), /must be a JSON object/);
  assert.throws(() => json('"x"'), /must be a JSON object/);
  assert.throws(() => json('{"a":1,}'), /malformed JSON/);
  assert.throws(() => json('{"a":1,"a":2}'), /duplicate JSON member "a"/);
  assert.throws(() => json('{"a":1,"\\u0061":2}'), /duplicate JSON member "a"/);
});

test('names order by code point, values by appearance, query before body', () => {
  // U+FF61 sorts below U+1F600 by code point, above it in UTF-16 units.
  assert.equal(canon({ query: [['\u{1F600}', '2'], ['\uFF61', '1']] }), '12S');
  assert.equal(canon({ query: [['a', 'q']], contentType: 'application/json', body: '{"a":"b"}' }), 'qbS');
  assert.equal(canon({ query: [['token', 't'], ['auth_key', 'k'], ['constructor', 'c']] }), 'cS');
});

test('addJSONMembers puts members first and keeps the rest as written', () => {
  const m = [['auth_key', '"k"'], ['timestamp', '1']];
  assert.equal(BlogapiSign.addJSONMembers('{"v":1.50}', m), '{"auth_key":"k","timestamp":1,"v":1.50}');
  assert.equal(BlogapiSign.addJSONMembers(' { } ', m), ' {"auth_key":"k","timestamp":1 } ');
  assert.equal(BlogapiSign.addJSONMembers('', m), '{"auth_key":"k","timestamp":1}');
  assert.throws(() => BlogapiSign.addJSONMembers('[]', m), /must be a JSON object/);
});
