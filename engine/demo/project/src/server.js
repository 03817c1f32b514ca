'use strict';

const http = require('node:http');
const { createStore } = require('./store');
const { routes, match } = require('./routes');

// createServer serves the route table as JSON over HTTP. It does not listen:
// the caller (npm start, or a test on port 0) does.
function createServer(store = createStore()) {
  const table = routes(store);
  return http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const found = match(table, req.method, url.pathname);
    if (!found) return send(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
    let body;
    try {
      body = await readJSON(req);
    } catch {
      return send(res, 400, { error: 'the body is not valid JSON' });
    }
    const reply = found.route.handler({ params: found.params, query: url.searchParams, body });
    send(res, reply.status, reply.body);
  });
}

async function readJSON(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : undefined;
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

if (require.main === module) {
  const store = createStore([
    { name: 'Desk lamp', price: 24.5, stock: 12 },
    { name: 'Notebook', price: 3.2, stock: 40 },
    { name: 'Fountain pen', price: 18, stock: 2 },
  ]);
  const port = Number(process.env.PORT) || 3000;
  createServer(store).listen(port, () => console.log(`shop-api listening on http://localhost:${port}`));
}

module.exports = { createServer };
