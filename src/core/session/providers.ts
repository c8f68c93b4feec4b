/**
 * Execution-provider selection. ONNX Runtime does not fall back by itself: asking for
 * ['cuda', 'cpu'] when CUDA cannot load makes InferenceSession.create throw. So we try
 * each provider of the user's order on its own, record why it failed, and go on.
 */
import { UserError } from '../errors';

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
  /** The GPU adapter the provider opened (WebGPU; from the Vulkan loader's log), when known. */
  adapter?: AdapterInfo | null;
}

/** A software rasteriser posing as a GPU: everything runs, on the CPU, slower than the CPU provider. */
export const SOFTWARE_ADAPTER_LABEL = 'software Vulkan (SwiftShader/llvmpipe): correct, not fast';

export interface AdapterInfo {
  /** "NVIDIA", "AMD", "Intel", "Apple", "Google" (SwiftShader), "Mesa" (llvmpipe), or "unknown". */
  vendor: string;
  /** GPU family when the log names it (e.g. Intel's "(ADL GT2)"), else "". */
  architecture: string;
  /** The device name as its driver gives it, e.g. "SwiftShader Device (Subzero)". */
  description: string;
  type: 'discrete' | 'integrated' | 'cpu' | 'unknown';
  /** The driver library the Vulkan loader used, when logged. */
  driver: string | null;
  /** A software (CPU) implementation: never picked automatically over the CPU provider. */
  software: boolean;
  /** SOFTWARE_ADAPTER_LABEL for a software adapter, else null. */
  label: string | null;
  /**
   * Whether the device has WebGPU's shader-f16 feature (f16 in WGSL), as the probe found by running
   * an fp16 graph on it (ONNX Runtime 1.30 names no adapter features; without shader-f16 its fp16
   * kernels refuse to build: "Program Transpose requires f16 but the device does not support it").
   * Undefined or null: not probed.
   */
  shaderF16?: boolean | null;
}

/**
 * The adapter Dawn opened, from the Vulkan loader's log (VK_LOADER_DEBUG=driver prints
 * `Using "<device>" with driver: "<library>"` when the device is created). ONNX Runtime 1.30 does
 * not log the adapter itself; on Windows (D3D12) and macOS (Metal) there is no such log: null.
 */
export function adapterFromLog(log: string): AdapterInfo | null {
  const m = /Using "([^"]+)" with driver: "([^"]+)"/.exec(log);
  return m ? describeAdapter(m[1], m[2]) : null;
}

/** Vendor, type and family of a device from its name (and driver library). */
export function describeAdapter(description: string, driver: string | null = null): AdapterInfo {
  const d = `${description} ${driver ?? ''}`;
  const arch = /\(([A-Z0-9]{2,5} GT\d)\)/.exec(description)?.[1] ?? '';
  let vendor = 'unknown';
  let type: AdapterInfo['type'] = 'unknown';
  let software = false;
  if (/swiftshader/i.test(d)) [vendor, type, software] = ['Google', 'cpu', true];
  else if (/llvmpipe|lavapipe|libvulkan_lvp/i.test(d)) [vendor, type, software] = ['Mesa', 'cpu', true];
  else if (/nvidia|geforce|quadro|tesla|rtx/i.test(d)) [vendor, type] = ['NVIDIA', 'discrete'];
  else if (/\bamd\b|radeon|radv/i.test(d)) [vendor, type] = ['AMD', /Radeon\(TM\) Graphics|Vega \d+ Graphics|\bAPU\b/i.test(description) ? 'integrated' : 'unknown'];
  else if (/intel/i.test(d)) [vendor, type] = ['Intel', /\barc\b/i.test(description) ? 'discrete' : 'integrated'];
  else if (/apple/i.test(d)) [vendor, type] = ['Apple', 'integrated'];
  return { vendor, architecture: arch, description, type, driver, software, label: software ? SOFTWARE_ADAPTER_LABEL : null };
}

/** One line naming an adapter, for tables and tooltips. */
export function adapterText(a: AdapterInfo | null | undefined): string {
  if (!a) return 'adapter not named in the log';
  const f16 = a.shaderF16 === true ? ', shader-f16' : a.shaderF16 === false ? ', no shader-f16' : '';
  return `${a.vendor} "${a.description}" (${a.type}${a.architecture ? `, ${a.architecture}` : ''}${f16})${a.label ? `: ${a.label}` : ''}`;
}

/**
 * Whether a provider of the user's order is passed over without trying it: a software WebGPU
 * adapter is slower than the CPU provider, so it is used only when the user lists webgpu first
 * (on purpose); in any other place of the order (the default order included) it is skipped.
 */
export function skipSoftwareAdapter(ep: string, order: readonly string[], adapter: AdapterInfo | null | undefined): string | null {
  if (ep !== 'webgpu' || !adapter?.software) return null;
  const first = order.map((e) => e.trim().toLowerCase()).find(Boolean);
  if (first === 'webgpu') return null;
  return `its only adapter is "${adapter.description}", ${SOFTWARE_ADAPTER_LABEL}; not used automatically over cpu (list webgpu first in vitInspector.executionProviders to use it)`;
}

/**
 * Whether an fp16 checkpoint's graph is computed in fp16 (core/checkpoint/fp16.ts) rather than cast
 * to float32: 'auto' decides by the provider (runsFp16); 'always' and 'never' force it (tests, and
 * comparing the two on one provider).
 */
export type Fp16Policy = 'auto' | 'always' | 'never';

/**
 * Does `ep` run fp16 as fp16? Narrowly, what ONNX Runtime's providers do with an fp16 graph as
 * onnxruntime-node opens them (no provider options beyond the settings'):
 *   - cuda: yes (fp16 kernels for every op of these graphs; tensor cores from Volta on);
 *   - dml: yes (DirectML computes fp16 natively on DirectX 12 GPUs);
 *   - webgpu: only on an adapter with shader-f16, as the probe found it (unknown → no: without
 *     the feature its fp16 kernels fail to build; SwiftShader, the software Vulkan device of the
 *     tests, has none);
 *   - coreml: no. onnxruntime-node opens it in its default NeuralNetwork format, whose op
 *     builders take float32 only, so fp16 nodes would go to the CPU provider (fp16 needs the
 *     MLProgram format, which the settings do not offer);
 *   - cpu: no. Most of its kernels are float32 only and ONNX Runtime inserts Casts to float32
 *     around them (the fp16 graph still runs, which the tests use, but gains nothing: the
 *     fp32-cast graph is as fast and closer to the fp32 reference).
 */
export function runsFp16(ep: string, adapter?: Pick<Partial<AdapterInfo>, 'description' | 'shaderF16'> | null, policy: Fp16Policy = 'auto'): { fp16: boolean; why: string } {
  if (policy === 'always') return { fp16: true, why: 'fp16 compute forced (fp16Compute "always")' };
  if (policy === 'never') return { fp16: false, why: 'fp16 compute turned off (fp16Compute "never")' };
  switch (ep) {
    case 'cuda':
      return { fp16: true, why: 'CUDA runs fp16 kernels' };
    case 'dml':
      return { fp16: true, why: 'DirectML runs fp16 natively' };
    case 'webgpu':
      if (adapter?.shaderF16 === true) return { fp16: true, why: `the WebGPU adapter${adapter.description ? ` "${adapter.description}"` : ''} has shader-f16` };
      if (adapter?.shaderF16 === false) return { fp16: false, why: `the WebGPU adapter${adapter.description ? ` "${adapter.description}"` : ''} has no shader-f16` };
      return { fp16: false, why: 'whether the WebGPU adapter has shader-f16 is not known' };
    case 'coreml':
      return { fp16: false, why: 'CoreML is opened in its NeuralNetwork format, which takes float32 only' };
    case 'cpu':
      return { fp16: false, why: 'the CPU provider computes fp16 through Casts to float32' };
    default:
      return { fp16: false, why: `${ep} is not known to run fp16` };
  }
}

/**
 * What the user is shown of a checkpoint's precision on the provider that runs it: "fp16
 * (computed in fp16 on cuda)", "fp16 weights, computed in fp32", "bf16 weights, computed in
 * fp32"; null for fp32 weights (nothing to say).
 */
export function computeText(weights: string | null, fp16: boolean, ep: string): string | null {
  if (!weights || weights === 'fp32') return null;
  if (fp16 && weights === 'fp16') return `fp16 (computed in fp16 on ${ep})`;
  return `${weights} weights, computed in fp32`;
}

/**
 * Options of the WebGPU provider that onnxruntime-node 1.30 accepts and the settings offer. (Its
 * typings also list deviceId, but the provider refuses it: "WebGPU EP has an unrecognized option".)
 */
export interface WebGpuOptions {
  preferredLayout?: 'NCHW' | 'NHWC';
  validationMode?: 'disabled' | 'wgpuOnly' | 'basic' | 'full';
  forceCpuNodeNames?: string[];
}

/** onnxruntime-node's CUDA binding reads only deviceId. */
export interface CudaOptions {
  deviceId?: number;
}

export interface ProviderOptions {
  webgpu?: WebGpuOptions;
  cuda?: CudaOptions;
}

/** Validates provider options from the settings (or a caller); wrong values are the user's error. */
export function checkProviderOptions(raw: unknown): ProviderOptions {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object') throw new UserError('Execution provider options must be an object.');
  const r = raw as Record<string, Record<string, unknown> | undefined>;
  const out: ProviderOptions = {};
  const deviceId = (v: unknown, where: string): number | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new UserError(`${where}.deviceId must be a whole number ≥ 0, got ${JSON.stringify(v)}.`);
    return v;
  };
  const oneOf = <T extends string>(v: unknown, allowed: readonly T[], what: string): T | undefined => {
    if (v === undefined || v === null || v === '') return undefined;
    if (!allowed.includes(v as T)) throw new UserError(`${what} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}.`);
    return v as T;
  };
  if (r.webgpu) {
    const w = r.webgpu;
    const names = w.forceCpuNodeNames;
    if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== 'string')))
      throw new UserError('vitInspector.webgpu.forceCpuNodeNames must be a list of node names.');
    const opts: WebGpuOptions = {
      preferredLayout: oneOf(w.preferredLayout, ['NCHW', 'NHWC'] as const, 'vitInspector.webgpu.preferredLayout'),
      validationMode: oneOf(w.validationMode, ['disabled', 'wgpuOnly', 'basic', 'full'] as const, 'vitInspector.webgpu.validationMode'),
      forceCpuNodeNames: names && (names as string[]).length ? [...(names as string[])] : undefined,
    };
    out.webgpu = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as WebGpuOptions;
  }
  if (r.cuda) {
    const id = deviceId(r.cuda.deviceId, 'vitInspector.cuda');
    out.cuda = id === undefined ? {} : { deviceId: id };
  }
  return out;
}

/** The entry of ONNX Runtime's executionProviders for `ep`: its name, or { name, ...options }. */
export function executionProviderConfig(ep: string, options: ProviderOptions = {}): string | ({ name: string } & Record<string, unknown>) {
  const o = ep === 'webgpu' ? options.webgpu : ep === 'cuda' ? options.cuda : undefined;
  return o && Object.keys(o).length ? { name: ep, ...o } : ep;
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
    case 'webgpu': {
      // Dawn says on stderr why it rejected a Vulkan device ("Warning: Vulkan ... required.").
      const dawn = /^Warning: (.+)$/m.exec(log)?.[1];
      if (/adapter/i.test(text))
        return {
          reason: `no WebGPU adapter (no usable GPU or Vulkan/Metal/D3D12 driver)${dawn ? `; Dawn: ${dawn}` : ''}`,
          fix: 'Needs a GPU with a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver: on Linux the vendor\'s Vulkan driver (NVIDIA: nvidia-driver; AMD/Intel: mesa-vulkan-drivers) and libvulkan1.',
        };
      return { reason: firstLine, fix: null };
    }
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
