// The few parts of the `ws` package (a dependency of @slack/socket-mode) the stand-in uses; no @types/ws installed.
declare module 'ws' {
  import type { EventEmitter } from 'node:events';
  import type { IncomingMessage } from 'node:http';

  export class WebSocket extends EventEmitter {
    constructor(url: string);
    static readonly OPEN: 1;
    readonly readyState: 0 | 1 | 2 | 3;
    send(data: string, cb?: (err?: Error) => void): void;
    close(code?: number, reason?: string): void;
    terminate(): void;
    ping(data?: unknown): void;
  }

  export class WebSocketServer extends EventEmitter {
    constructor(options: { host?: string; port?: number; verifyClient?: (info: { req: IncomingMessage }) => boolean });
    readonly clients: Set<WebSocket>;
    address(): { port: number } | string;
    close(cb?: (err?: Error) => void): void;
    on(event: 'connection', listener: (socket: WebSocket, req: IncomingMessage) => void): this;
    on(event: 'listening', listener: () => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
  }
}
