/**
 * Execution-provider selection. ONNX Runtime does not fall back by itself: asking for
 * ['cuda', 'cpu'] when CUDA cannot load makes InferenceSession.create throw. So we try
 * each provider of the user's order on its own, record why it failed, and go on.
 */

/** Providers we know how to ask for, in the default order of the setting. */
export const DEFAULT_PROVIDER_ORDER = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'] as const;

export interface ProviderStatus {
  name: string;
  /** Compiled into this platform's onnxruntime-node build (listSupportedBackends). */
  compiled: boolean;
  /** A session actually started on it here. null = not tried (not compiled in). */
  works: boolean | null;
  /** Why it did not start, in the runtime's words (first useful line). */
  reason: string | null;
  /** What the user can do about it. */
  fix: string | null;
  /** Time to create the probe session, ms. */
  ms: number | null;
}

export interface SupportedBackend {
  name: string;
  bundled: boolean;
}

/** Filter the user's order to providers this build has; keep the user's order, drop duplicates. */
export function usableOrder(order: readonly string[], supported: readonly SupportedBackend[]): string[] {
  const have = new Set(supported.map((b) => b.name));
  const out: string[] = [];
  for (const raw of order) {
    const ep = raw.trim().toLowerCase();
    if (ep && have.has(ep) && !out.includes(ep)) out.push(ep);
  }
  // CPU is always there as the last resort, even if the user left it out.
  if (!out.includes('cpu') && have.has('cpu')) out.push('cpu');
  return out;
}

/** The one command that fetches onnxruntime-node's CUDA 12 provider libraries (skipped at npm install). */
export function cudaInstallCommand(ortDir = 'node_modules/onnxruntime-node'): string {
  const q = /\s/.test(ortDir) ? `"${ortDir}"` : ortDir;
  return `cd ${q} && ONNXRUNTIME_NODE_INSTALL=cuda12 node script/install.js`;
}

/** Turn ONNX Runtime's failure text (message + stderr log) into a reason and a fix. */
export function explainFailure(ep: string, message: string, log: string, bundled: boolean, ortDir?: string): { reason: string; fix: string | null } {
  const text = `${message}\n${log}`;
  const missingLib = /Failed to load library (\S+) with error: ([^\n]+)/.exec(text);
  const cannotOpen = /([\w.+-]+\.so[\w.]*): cannot open shared object file/.exec(text);
  const firstLine = message.split('\n').find((l) => l.trim())?.trim() ?? 'unknown error';
  switch (ep) {
    case 'cuda':
    case 'tensorrt': {
      let reason = firstLine;
      // In-process, ONNX Runtime's log (which names the library) goes to stderr; the message only says this.
      if (/Failed to load shared library/i.test(message)) reason = 'the CUDA provider library could not be loaded (not installed, or CUDA 12 / cuDNN 9 missing; Show Execution Providers says which)';
      if (cannotOpen) reason = `${cannotOpen[1]} cannot be loaded`;
      if (missingLib && /providers_(shared|cuda|tensorrt)/.test(missingLib[1]))
        reason = `the CUDA provider libraries of onnxruntime-node are not installed (${basename(missingLib[1])} missing)`;
      else if (cannotOpen && /cublas|cudnn|cudart|cufft|curand|nvinfer/.test(cannotOpen[1]))
        reason = `${cannotOpen[1]} (from the CUDA 12 toolkit / cuDNN 9) cannot be loaded`;
      const fix = !bundled || /providers_/.test(reason)
        ? `Install the CUDA provider (needs an NVIDIA driver, CUDA 12 and cuDNN 9): ${cudaInstallCommand(ortDir)}`
        : 'Install CUDA 12 and cuDNN 9 so that their libraries are on the loader path (LD_LIBRARY_PATH).';
      return { reason, fix };
    }
    case 'webgpu':
      if (/adapter/i.test(text)) return { reason: 'no WebGPU adapter (no usable GPU or Vulkan/Metal/D3D12 driver)', fix: 'Needs a GPU with a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver.' };
      return { reason: firstLine, fix: null };
    case 'dml':
      return { reason: firstLine, fix: 'DirectML exists only on Windows with a DirectX 12 GPU.' };
    case 'coreml':
      return { reason: firstLine, fix: 'CoreML exists only on macOS.' };
    default:
      return { reason: firstLine, fix: null };
  }
}

/** Why a provider of the order is not even tried. */
export function notCompiledReason(ep: string, platform: string): { reason: string; fix: string | null } {
  const where: Record<string, string> = { dml: 'Windows', coreml: 'macOS' };
  return {
    reason: `not in onnxruntime-node's build for ${platform}`,
    fix: where[ep] ? `${ep} is available on ${where[ep]} only.` : null,
  };
}

function basename(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}
