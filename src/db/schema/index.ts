export * from './audit.js';
export * from './runs.js';
export * from './durable.js';
