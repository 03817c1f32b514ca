'use strict';

const { createServer } = require('../src/server');
const { createStore } = require('../src/store');

// startServer serves a fresh store with the given items on a free port for
// the duration of test t, and returns a request function.
async function startServer(t, items = []) {
  const server = createServer(createStore(items));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${server.address().port}`;
  return async (method, path, body) => {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

module.exports = { startServer };
