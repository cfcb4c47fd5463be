/** Package entry point: the domain rules. */
export * from './domain/index.js';
