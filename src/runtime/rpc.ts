/**
 * The typed request/response protocol between the extension host (or CLI) and the
 * inference process. Messages go over Node's IPC channel with 'advanced' serialization,
 * so typed arrays travel as binary (structured clone), never as JSON number arrays.
 */
import type { ProviderStatus } from '../core/inference/providers';

export interface ProvidersResult {
  platform: string;
  ortVersion: string;
  order: string[];
  providers: ProviderStatus[];
}

/** Each method: its params and its result. */
export interface Methods {
  providers: { params: { order: string[] }; result: ProvidersResult };
  ping: { params: Record<string, never>; result: { pid: number } };
  /** Diagnostics, used by tests of restart and cancellation: sleep (blocking the thread like a long run) or crash. */
  debugBlock: { params: { ms: number }; result: { pid: number } };
  debugCrash: { params: Record<string, never>; result: never };
}
export type Method = keyof Methods;

export type ToWorker =
  | { kind: 'request'; id: number; method: Method; params: unknown }
  | { kind: 'cancel'; id: number };

export type FromWorker =
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; message: string; userError: boolean; stack?: string }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; message: string };
