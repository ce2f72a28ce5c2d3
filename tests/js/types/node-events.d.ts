// The server SDK's declarations import `node:events` (its event emitter);
// the repository has no @types/node, so this is the part of Node's
// EventEmitter they rely on, for openfeature.ts's type check only.
declare module 'node:events' {
  export class EventEmitter<_T = unknown> {
    constructor(options?: { captureRejections?: boolean });
    addListener(eventName: string | symbol, listener: (...args: unknown[]) => void): this;
    on(eventName: string | symbol, listener: (...args: unknown[]) => void): this;
    once(eventName: string | symbol, listener: (...args: unknown[]) => void): this;
    removeListener(eventName: string | symbol, listener: (...args: unknown[]) => void): this;
    off(eventName: string | symbol, listener: (...args: unknown[]) => void): this;
    removeAllListeners(event?: string | symbol): this;
    listeners(eventName: string | symbol): Function[];
    emit(eventName: string | symbol, ...args: unknown[]): boolean;
    listenerCount(eventName: string | symbol, listener?: Function): number;
    eventNames(): Array<string | symbol>;
  }
}
