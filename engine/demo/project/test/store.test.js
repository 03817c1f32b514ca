'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { createStore } = require('../src/store');

test('the store numbers items from 1 and defaults stock to 0', () => {
  const store = createStore([{ name: 'Desk lamp', price: 24.5, stock: 12 }]);
  const added = store.add({ name: 'Notebook', price: 3.2 });
  assert.deepEqual(added, { id: 2, name: 'Notebook', price: 3.2, stock: 0 });
  assert.equal(store.get(1).name, 'Desk lamp');
  assert.equal(store.list().length, 2);
});
