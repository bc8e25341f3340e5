// blogapi collection pre-request script: signs every request under /blogapi
// (SPEC §3, legacy md5 scheme) and attaches the access token.
//
// Two parts:
//   * BlogapiSign: pure functions (no pm), the server's canonicalization
//     (services/signing) ported to JavaScript; tested against
//     testdata/sign_vectors.json outside Postman (clients/postman/test).
//   * the pm glue at the end: reads the request, adds auth_key, a fresh
//     millisecond timestamp and token, and the `access-token` header.
//
// Per-request control, an `X-Postman-Sign` header that the script reads
// and removes before the request is sent:
//   skip             send unsigned (the mail-link GETs)
//   omit-token       no token                         → 511
//   unknown-key      an auth_key no app has           → 512
//   omit-timestamp   no timestamp                     → 400
//   stale-timestamp  a timestamp a day old, signed    → 513
//   bad-token        signed with the wrong secret     → 514
// Requests outside /blogapi (/healthz, /readyz) are never signed. A request
// that has its own `access-token` or `Authorization` header (enabled or
// not) keeps it: the stored token is attached to the others only.
//
// Variables: authKey, authSecret (the app of sign.apps), token (the access
// token, stored by the login, renewal and password-change tests).
var BlogapiSign = (function () {
  'use strict';

  function SignError(message) {
    var e = new Error(message);
    e.name = 'SignError';
    return e;
  }

  // Go's url.QueryUnescape, as the server decodes query and form pairs:
  // '+' is a space, %XX a byte, the bytes UTF-8.
  function queryUnescape(s) {
    if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
    if (/%(?![0-9A-Fa-f]{2})/.test(s)) throw SignError('invalid percent-encoding in "' + s + '"');
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch (e) {
      throw SignError('percent-encoding is not UTF-8 in "' + s + '"');
    }
  }

  // The pairs of a query string or form body, decoded, in order: pairs
  // split at '&' (empty ones skipped), name and value at the first '='.
  // ';' is refused as the server refuses it.
  function parsePairs(raw) {
    var out = [];
    if (raw.indexOf(';') >= 0) throw SignError("';' is not a separator");
    raw.split('&').forEach(function (part) {
      if (part === '') return;
      var eq = part.indexOf('=');
      var name = eq < 0 ? part : part.slice(0, eq);
      var value = eq < 0 ? '' : part.slice(eq + 1);
      out.push([queryUnescape(name), queryUnescape(value)]);
    });
    return out;
  }

  function isWS(c) {
    return c === ' ' || c === '\t' || c === '\n' || c === '\r';
  }

  // A lone surrogate decodes to U+FFFD, as Go's encoding/json does.
  function wellFormed(s) {
    return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  }

  // The end (exclusive) of the JSON string whose opening quote is at i.
  function stringEnd(b, i) {
    for (var j = i + 1; j < b.length; j++) {
      var c = b.charAt(j);
      if (c === '\\') j++;
      else if (c === '"') return j + 1;
    }
    throw SignError('malformed JSON body');
  }

  // The end (exclusive) of the JSON value at i, which JSON.parse has
  // already validated as part of the whole body.
  function valueEnd(b, i) {
    var c = b.charAt(i);
    if (c === '"') return stringEnd(b, i);
    if (c === '{' || c === '[') {
      var depth = 0;
      for (var j = i; j < b.length; j++) {
        var d = b.charAt(j);
        if (d === '"') {
          j = stringEnd(b, j) - 1;
        } else if (d === '{' || d === '[') {
          depth++;
        } else if (d === '}' || d === ']') {
          depth--;
          if (depth === 0) return j + 1;
        }
      }
      throw SignError('malformed JSON body');
    }
    var k = i;
    while (k < b.length && b.charAt(k) !== ',' && b.charAt(k) !== '}' && !isWS(b.charAt(k))) k++;
    return k;
  }

  // JSON text without the whitespace outside strings, escapes kept.
  function compact(v) {
    var out = '';
    for (var j = 0; j < v.length; j++) {
      var c = v.charAt(j);
      if (c === '"') {
        var end = stringEnd(v, j);
        out += v.slice(j, end);
        j = end - 1;
      } else if (!isWS(c)) {
        out += c;
      }
    }
    return out;
  }

  // The top-level members of a JSON object body as [name, rendering]
  // pairs (SPEC §3): strings decoded, null as "", numbers and true/false as
  // their literal text, objects and arrays as their literal text without
  // the whitespace outside strings. An empty body has none; anything but
  // an object, or a repeated member name, is an error (the server's 400).
  function jsonMembers(body) {
    var b = body;
    var i = 0;
    while (i < b.length && isWS(b.charAt(i))) i++;
    if (i === b.length) return [];
    var parsed;
    try {
      parsed = JSON.parse(b);
    } catch (e) {
      throw SignError('malformed JSON body');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw SignError('body must be a JSON object');
    }
    var out = [];
    var seen = {};
    i++; // past '{'
    for (;;) {
      while (isWS(b.charAt(i)) || b.charAt(i) === ',') i++;
      if (b.charAt(i) === '}') break;
      var nameEnd = stringEnd(b, i);
      var name = wellFormed(JSON.parse(b.slice(i, nameEnd)));
      if (Object.prototype.hasOwnProperty.call(seen, name)) {
        throw SignError('duplicate JSON member "' + name + '"');
      }
      seen[name] = true;
      i = nameEnd;
      while (isWS(b.charAt(i))) i++;
      i++; // past ':'
      while (isWS(b.charAt(i))) i++;
      var end = valueEnd(b, i);
      var raw = b.slice(i, end);
      var c = raw.charAt(0);
      var rendered;
      if (c === '"') rendered = wellFormed(JSON.parse(raw));
      else if (raw === 'null') rendered = '';
      else if (c === '{' || c === '[') rendered = compact(raw);
      else rendered = raw;
      out.push([name, rendered]);
      i = end;
    }
    return out;
  }

  // The media type of a Content-Type value, lower-cased.
  function mediaType(contentType) {
    return String(contentType || '').split(';')[0].trim().toLowerCase();
  }

  // Every signed parameter of a request as [name, value] pairs, in order of
  // appearance, query before body: query are the decoded query pairs; body
  // (a string) contributes by contentType: form pairs for
  // application/x-www-form-urlencoded, top-level members for
  // application/json, nothing for any other type.
  function params(req) {
    var out = (req.query || []).slice();
    var body = req.body || '';
    var mt = mediaType(req.contentType);
    if (mt === 'application/json') out = out.concat(jsonMembers(body));
    else if (mt === 'application/x-www-form-urlencoded') out = out.concat(parsePairs(body));
    else if (mt === 'multipart/form-data') throw SignError('multipart bodies are not signed by this script');
    return out;
  }

  // Unicode code-point order (the byte order of UTF-8), which JavaScript's
  // own string order (UTF-16 code units) is not above U+FFFF.
  function compareNames(a, b) {
    var ca = Array.from(a);
    var cb = Array.from(b);
    for (var i = 0; i < ca.length && i < cb.length; i++) {
      var x = ca[i].codePointAt(0);
      var y = cb[i].codePointAt(0);
      if (x !== y) return x < y ? -1 : 1;
    }
    return ca.length - cb.length;
  }

  // The canonical string of SPEC §3: the values of every parameter but
  // token and auth_key, ordered by name (stable, so a name's values keep
  // their order), concatenated, then secret.
  function canonical(req, secret) {
    var list = params(req).filter(function (p) {
      return p[0] !== 'token' && p[0] !== 'auth_key';
    });
    list.sort(function (a, b) {
      return compareNames(a[0], b[0]);
    });
    return list.map(function (p) {
      return p[1];
    }).join('') + secret;
  }

  // The signature: md5(canonical), 32 lowercase hex characters. md5 is the
  // md5 of a string's UTF-8 bytes in lowercase hex (CryptoJS in Postman).
  function token(req, secret, md5) {
    return md5(canonical(req, secret));
  }

  // body with members (pairs of name and JSON text) inserted first into
  // its top-level object; an empty body becomes an object of them alone.
  function addJSONMembers(body, members) {
    var text = members.map(function (m) {
      return JSON.stringify(m[0]) + ':' + m[1];
    }).join(',');
    var i = 0;
    while (i < body.length && isWS(body.charAt(i))) i++;
    if (i === body.length) return '{' + text + '}';
    if (body.charAt(i) !== '{') throw SignError('body must be a JSON object');
    var j = i + 1;
    while (j < body.length && isWS(body.charAt(j))) j++;
    var sep = body.charAt(j) === '}' ? '' : ',';
    return body.slice(0, i + 1) + text + sep + body.slice(i + 1);
  }

  return {
    SignError: SignError,
    queryUnescape: queryUnescape,
    parsePairs: parsePairs,
    jsonMembers: jsonMembers,
    params: params,
    canonical: canonical,
    token: token,
    addJSONMembers: addJSONMembers,
    mediaType: mediaType,
  };
})();

// ---- Postman glue -------------------------------------------------------
// Runs only inside Postman or newman (where pm exists); the tests load the
// pure part above without it.
if (typeof pm !== 'undefined') {
  (function (pm, CryptoJS) {
    'use strict';
    var CONTROL = 'X-Postman-Sign';
    var MODES = ['skip', 'omit-token', 'unknown-key', 'omit-timestamp', 'stale-timestamp', 'bad-token'];

    function md5(s) {
      return CryptoJS.MD5(s).toString(CryptoJS.enc.Hex);
    }
    function resolve(s) {
      return pm.variables.replaceIn(s == null ? '' : String(s));
    }
    function hasHeader(name) {
      var found = false;
      pm.request.headers.each(function (h) {
        if (String(h.key).toLowerCase() === name.toLowerCase()) found = true;
      });
      return found;
    }

    var control = pm.request.headers.get(CONTROL);
    var mode = control ? String(control).trim() : '';
    pm.request.headers.remove(CONTROL);
    if (mode && MODES.indexOf(mode) < 0) {
      throw new Error(CONTROL + ': unknown mode "' + mode + '" (one of ' + MODES.join(', ') + ')');
    }
    var path = pm.request.url.getPath();
    if (mode === 'skip' || !/^\/blogapi(\/|$)/.test(path)) return;

    var authKey = pm.variables.get('authKey');
    var secret = pm.variables.get('authSecret');
    if (!authKey || !secret) throw new Error('set authKey and authSecret (the environment file has the example app)');

    var accessToken = pm.variables.get('token');
    if (accessToken && !hasHeader('access-token') && !hasHeader('Authorization')) {
      pm.request.headers.upsert({ key: 'access-token', value: accessToken });
    }

    // What is signed must be what is sent: variables ({{...}}, dynamic ones
    // included) are resolved once here and written back.
    var query = [];
    pm.request.url.query.each(function (q) {
      if (q.disabled) return;
      q.key = resolve(q.key);
      q.value = q.value == null ? null : resolve(q.value);
      // postman-url-encoder keeps %XX and encodes only characters that
      // decode to themselves: the server sees the typed text decoded.
      query.push([BlogapiSign.queryUnescape(q.key), BlogapiSign.queryUnescape(q.value == null ? '' : q.value)]);
    });

    var body = pm.request.body;
    var bodyMode = body && !body.isEmpty() ? body.mode : '';
    var contentType = resolve(pm.request.headers.get('Content-Type') || '');
    var bodyText = '';
    if (bodyMode === 'raw') {
      bodyText = resolve(body.raw);
      var lang = body.options && body.options.raw && body.options.raw.language;
      if (!contentType && lang === 'json') {
        contentType = 'application/json';
        pm.request.headers.upsert({ key: 'Content-Type', value: contentType });
      }
    } else if (bodyMode === 'urlencoded') {
      contentType = 'application/x-www-form-urlencoded';
      var pairs = [];
      body.urlencoded.each(function (p) {
        if (p.disabled) return;
        p.key = resolve(p.key);
        p.value = resolve(p.value);
        // Sent form-encoded by newman (qs): the server decodes them back.
        pairs.push(encodeURIComponent(p.key) + '=' + encodeURIComponent(p.value));
      });
      bodyText = pairs.join('&');
    } else if (bodyMode) {
      throw new Error('body mode "' + bodyMode + '" is not signed by this script');
    }
    BlogapiSign.params({ query: query, contentType: contentType, body: bodyText }).forEach(function (p) {
      if (p[0] === 'auth_key' || p[0] === 'timestamp' || p[0] === 'token') {
        throw new Error('the request has its own "' + p[0] + '": leave the signing parameters to the collection script' +
          (p[0] === 'token' ? ' (a mail token goes as resetToken)' : ''));
      }
    });
    var mt = BlogapiSign.mediaType(contentType);
    var inJSON = mt === 'application/json' && bodyText.trim() !== '';
    var inForm = bodyMode === 'urlencoded';

    var now = Date.now();
    var timestamp = mode === 'stale-timestamp' ? now - 24 * 60 * 60 * 1000 : now;
    var signing = [['auth_key', mode === 'unknown-key' ? 'postman-unknown-app' : authKey]];
    if (mode !== 'omit-timestamp') signing.push(['timestamp', String(timestamp)]);
    if (inJSON) {
      // As the seed's JSON vector: members of the body, timestamp a number.
      bodyText = BlogapiSign.addJSONMembers(bodyText, signing.map(function (p) {
        return [p[0], p[0] === 'timestamp' ? p[1] : JSON.stringify(p[1])];
      }));
    } else if (inForm) {
      bodyText += (bodyText ? '&' : '') + signing.map(function (p) {
        return encodeURIComponent(p[0]) + '=' + encodeURIComponent(p[1]);
      }).join('&');
    } else {
      query = query.concat(signing);
    }
    var sig = BlogapiSign.token({ query: query, contentType: contentType, body: bodyText },
      mode === 'bad-token' ? secret + '-wrong' : secret, md5);

    if (inJSON) {
      if (mode !== 'omit-token') bodyText = BlogapiSign.addJSONMembers(bodyText, [['token', JSON.stringify(sig)]]);
      pm.request.body.update({ mode: 'raw', raw: bodyText, options: body.options });
    } else if (inForm) {
      signing.forEach(function (p) {
        pm.request.body.urlencoded.add({ key: p[0], value: p[1] });
      });
      if (mode !== 'omit-token') pm.request.body.urlencoded.add({ key: 'token', value: sig });
    } else {
      if (bodyMode === 'raw') pm.request.body.update({ mode: 'raw', raw: bodyText, options: body.options });
      signing.forEach(function (p) {
        pm.request.url.query.add({ key: p[0], value: encodeURIComponent(p[1]) });
      });
      if (mode !== 'omit-token') pm.request.url.query.add({ key: 'token', value: sig });
    }
  })(pm, require('crypto-js'));
}
