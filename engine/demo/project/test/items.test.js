'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./helpers');

const lamp = { name: 'Desk lamp', price: 24.5, stock: 12 };
const pen = { name: 'Fountain pen', price: 18, stock: 2 };

test('GET /api/items lists every item', async (t) => {
  const request = await startServer(t, [lamp, pen]);
  const res = await request('GET', '/api/items');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.map((i) => i.name), ['Desk lamp', 'Fountain pen']);
});

test('GET /api/items/:id returns one item, or 404', async (t) => {
  const request = await startServer(t, [lamp]);
  assert.deepEqual(await request('GET', '/api/items/1'), { status: 200, body: { id: 1, ...lamp } });
  const missing = await request('GET', '/api/items/99');
  assert.equal(missing.status, 404);
  assert.match(missing.body.error, /item 99 not found/);
});

test('POST /api/items creates an item', async (t) => {
  const request = await startServer(t);
  const res = await request('POST', '/api/items', { name: 'Notebook', price: 3.2 });
  assert.equal(res.status, 201);
  assert.deepEqual(res.body, { id: 1, name: 'Notebook', price: 3.2, stock: 0 });
  assert.equal((await request('GET', '/api/items')).body.length, 1);
});

test('POST /api/items rejects an invalid item with 400', async (t) => {
  const request = await startServer(t);
  for (const bad of [{}, { name: ' ', price: 1 }, { name: 'x', price: -1 }, { name: 'x', price: 1, stock: 1.5 }]) {
    const res = await request('POST', '/api/items', bad);
    assert.equal(res.status, 400, JSON.stringify(bad));
    assert.ok(res.body.error);
  }
});

test('unknown routes answer 404', async (t) => {
  const request = await startServer(t);
  assert.equal((await request('GET', '/api/nothing')).status, 404);
  assert.equal((await request('PUT', '/api/items/1')).status, 404);
});
