/**
 * What the inference process reports about execution providers, as the host and the
 * providers panel receive it. Shared by src/runtime (which produces it) and the protocol.
 */
import type { ProviderStatus } from '../core/session/providers';

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

/** The GPU self-check (vit-inspect doctor): one workload run on one provider against the CPU provider. */
export interface DoctorCheck {
  workload: string;
  ep: string;
  /** null when it ran; otherwise why not. */
  error: string | null;
  /** Largest |provider − cpu| over the outputs. */
  maxAbsDiff: number | null;
  /** Same argmax as on cpu (models only; null for the attention layer). */
  top1Same: boolean | null;
  /** First run on this provider (shader compilation included), ms. */
  firstRunMs: number | null;
  /** Median warm run, ms. */
  ms: number | null;
  cpuMs: number;
  /** ms / cpuMs: below 1, faster than the CPU provider. */
  ratio: number | null;
}

export interface DoctorResult {
  platform: string;
  ortVersion: string;
  node: string;
  /** Environment that changes which Vulkan driver is used. */
  env: Record<string, string>;
  providers: ProviderStatus[];
  checks: DoctorCheck[];
  /** One line per provider: what to conclude, or what to install. */
  verdict: string[];
}
