// index.d.ts describes what src/index.js exports and every method a client
// has: a name added to one and not the other fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as lib from '../src/index.js';

const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8');

test('every runtime export is declared, and every declared value exists', () => {
  const declared = [...dts.matchAll(/^export (?:function|const|class) (\w+)/gm)].map((m) => m[1]);
  assert.deepEqual([...new Set(declared)].sort(), Object.keys(lib).sort());
});

test('the Client interface lists exactly the methods and properties of a client', () => {
  const body = dts.match(/export interface Client \{([\s\S]*?)\n\}/)[1];
  const declared = [...body.matchAll(/^\s+(?:readonly )?(\w+)[(:?]/gm)].map((m) => m[1]);
  const client = lib.createClient({ baseURL: 'http://127.0.0.1:1', authKey: 'k', authSecret: 's' });
  assert.deepEqual(declared.sort(), Object.keys(client).sort());
});

test('the AdminClient interface lists exactly the methods of client.admin', () => {
  const body = dts.match(/export interface AdminClient \{([\s\S]*?)\n\}/)[1];
  const declared = [...body.matchAll(/^\s+(\w+)\(/gm)].map((m) => m[1]);
  const client = lib.createClient({ baseURL: 'http://127.0.0.1:1', authKey: 'k', authSecret: 's' });
  assert.deepEqual(declared.sort(), Object.keys(client.admin).sort());
});
