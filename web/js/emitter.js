// A minimal event emitter: named callbacks, each returning its own unsubscribe.

export class Emitter {
  constructor() {
    this.listeners = new Map();
  }

  /** @returns {() => void} unsubscribe */
  on(name, callback) {
    if (!this.listeners.has(name)) this.listeners.set(name, new Set());
    this.listeners.get(name).add(callback);
    return () => this.listeners.get(name).delete(callback);
  }

  emit(name, ...args) {
    for (const callback of this.listeners.get(name) || []) callback(...args);
  }
}
