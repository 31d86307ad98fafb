export * from './audit.js';
export * from './runs.js';
