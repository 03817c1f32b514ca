'use strict';

// routes returns the route table. A handler gets { params, query, body } and
// returns { status, body }; src/server.js does the HTTP around it.
function routes(store) {
  return [
    { method: 'GET', path: '/api/items', handler: () => ok(store.list()) },
    { method: 'GET', path: '/api/items/:id', handler: ({ params }) => getItem(store, params.id) },
    { method: 'POST', path: '/api/items', handler: ({ body }) => createItem(store, body) },
  ];
}

function getItem(store, id) {
  const item = store.get(Number(id));
  return item ? ok(item) : notFound(id);
}

function createItem(store, body) {
  const problem = validateItem(body);
  if (problem) return { status: 400, body: { error: problem } };
  return { status: 201, body: store.add(body) };
}

function validateItem(body) {
  if (typeof body?.name !== 'string' || body.name.trim() === '') return 'name is required';
  if (!Number.isFinite(body.price) || body.price < 0) return 'price must be a number >= 0';
  if (body.stock !== undefined && !(Number.isInteger(body.stock) && body.stock >= 0)) {
    return 'stock must be an integer >= 0';
  }
  return null;
}

const ok = (body) => ({ status: 200, body });
const notFound = (id) => ({ status: 404, body: { error: `item ${id} not found` } });

// match finds the route for a request, with the :params its path captured.
function match(table, method, pathname) {
  const parts = pathname.split('/').filter(Boolean);
  for (const route of table) {
    if (route.method !== method) continue;
    const params = capture(route.path.split('/').filter(Boolean), parts);
    if (params) return { route, params };
  }
  return null;
}

function capture(pattern, parts) {
  if (pattern.length !== parts.length) return null;
  const params = {};
  for (const [i, p] of pattern.entries()) {
    if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(parts[i]);
    else if (p !== parts[i]) return null;
  }
  return params;
}

module.exports = { routes, match };
