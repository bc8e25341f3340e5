// Test helpers: the shipped collection and the signer inside it.
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { collectionPath } from '../build.mjs';

/** The committed collection file, parsed. */
export const collection = JSON.parse(readFileSync(collectionPath, 'utf8'));

/** The collection-level pre-request script's text, as Postman runs it. */
export const prerequestScript = collection.event.find((e) => e.listen === 'prerequest').script.exec.join('\n');

/**
 * The pure signer (BlogapiSign) of the shipped pre-request script, run in a
 * fresh V8 context without pm, so that the Postman glue stays out.
 */
export const BlogapiSign = vm.runInNewContext(`${prerequestScript}\nBlogapiSign`, {}, { filename: 'prerequest.js' });

/**
 * Every request item of the collection, folders flattened.
 * @returns {{name: string, folder: string, request: object, event: object[]}[]}
 */
export function requests() {
  const out = [];
  const walk = (items, folder) => {
    for (const it of items) {
      if (it.item) walk(it.item, it.name);
      else out.push({ ...it, folder });
    }
  };
  walk(collection.item, '');
  return out;
}
