'use strict';

// createStore returns an in-memory item store. Each server gets its own
// store, so tests never share state.
function createStore(seed = []) {
  const items = new Map();
  let nextId = 1;

  function add({ name, price, stock = 0 }) {
    const item = { id: nextId++, name, price, stock };
    items.set(item.id, item);
    return item;
  }

  seed.forEach(add);

  return {
    list: () => [...items.values()],
    get: (id) => items.get(id),
    add,
  };
}

module.exports = { createStore };
