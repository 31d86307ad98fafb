// The engine's public surface: workflow definitions, step errors, ports and the runner.
export * from './define.js';
export * from './errors.js';
export * from './ports.js';
export { createEngine, type CreateRunRequest, type Decision, type Engine, type EngineOptions } from './engine.js';
export { isTerminal, TERMINAL_STATES } from './state-machine.js';
