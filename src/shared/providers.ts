/**
 * What the inference process reports about execution providers, as the host and the
 * providers panel receive it. Shared by src/runtime (which produces it) and the protocol.
 */
import type { ProviderStatus } from '../core/inference/providers';

/** Show Execution Providers: each provider of the order, whether a session starts on it here, and why not. */
export interface ProvidersResult {
  platform: string;
  ortVersion: string;
  order: string[];
  providers: ProviderStatus[];
}

/** Node placement: which provider ran each node of one profiled run. */
export interface PlacementResult {
  model: string;
  ep: string;
  failures: { ep: string; reason: string }[];
  /** Nodes run (kernel events of the profile). */
  nodes: number;
  byProvider: { provider: string; nodes: number; ms: number }[];
  /** Nodes not run by the chosen provider (at most 500). */
  fallback: { name: string; op: string; provider: string }[];
  /** Copies between host and device memory ONNX Runtime inserted (MemcpyFromHost/MemcpyToHost kernels). */
  copies: number;
}
