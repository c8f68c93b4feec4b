/**
 * The inference process. It alone loads onnxruntime-node: a native crash or a long
 * session.run() (which blocks its thread) cannot take the extension host down.
 * Requests run one at a time (2 cores: ONNX Runtime already uses them all); a
 * cancelled in-flight request is ended by the host killing this process.
 */
import { dirname } from 'node:path';
import { isUserError } from '../core/errors';
import { modelFile } from '../core/checkpoint';
import { exportCheckpoint } from '../core/checkpoint/export';
import type { FromWorker, Methods, ToWorker } from './rpc';
import { probeMain, probeProviders } from './probe';
import { classify } from './classify';
import { placement } from './placement';
import { inspectModel } from '../core/arch/inspect';
import { embeddingsOfFile } from '../core/report/embeddings';
import { readRelpos } from '../core/report/relpos';
import { timeAttention } from './timing';
import { attention, keptLayers } from './capture';
import { explain } from './explain';
import { trace } from './trace';
import { doctor } from './doctor';
import { latency } from './latency';
import { checkProviderOptions } from '../core/session/providers';
import { failNextRun, getProviderOptions, setAdapterProbe, setFp16Policy, setProgress, setProviderOptions } from './sessions';
import { probeWebGpu } from './probe';

type Handler<M extends keyof Methods> = (params: Methods[M]['params']) => Promise<Methods[M]['result']>;

const handlers: { [M in keyof Methods]: Handler<M> } = {
  async ping() {
    return { pid: process.pid };
  },
  async configure({ providerOptions, fp16Compute }) {
    setProviderOptions(checkProviderOptions(providerOptions));
    setFp16Policy(fp16Compute ?? 'auto');
    // The adapter depends on the WebGPU options (deviceId): probe again when asked.
    setAdapterProbe(() => probeWebGpu(__filename, getProviderOptions()));
    return { pid: process.pid };
  },
  async doctor(params) {
    return doctor(params, __filename, getProviderOptions());
  },
  async debugFailNextRun({ ep }) {
    failNextRun(ep);
    return { pid: process.pid };
  },
  classify,
  placement,
  async inspect({ model, imageSize, details }) {
    return inspectModel(model, { imageSize, details });
  },
  timeAttention,
  attention,
  async attentionLayers({ capture, layers }) {
    return keptLayers(capture, layers);
  },
  explain,
  trace,
  latency,
  async embeddings({ model }) {
    return embeddingsOfFile(model);
  },
  async relpos({ model }) {
    return readRelpos(model);
  },
  async exportOnnx({ checkpoint, out }) {
    return exportCheckpoint(checkpoint, out);
  },
  async debugBlock({ ms }) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(ms, 60_000));
    return { pid: process.pid };
  },
  async debugCrash() {
    process.kill(process.pid, 'SIGKILL');
    return new Promise<never>(() => {});
  },
  async providers({ order }) {
    const ort = await import('onnxruntime-node');
    const supported = ort.listSupportedBackends();
    const platform = `${process.platform}-${process.arch}`;
    const ortDir = dirname(require.resolve('onnxruntime-node/package.json'));
    const providers = await probeProviders(__filename, order, supported, platform, ortDir, getProviderOptions());
    return { platform, ortVersion: ort.env.versions.common, order, providers };
  },
};

/** A checkpoint folder given as `model` stands for the checkpoint file in it (its configs and labels are found beside that). */
function withModelFile(params: unknown): unknown {
  if (!params || typeof params !== 'object' || typeof (params as { model?: unknown }).model !== 'string') return params;
  return { ...params, model: modelFile((params as { model: string }).model) };
}

function send(m: FromWorker): void {
  process.send?.(m);
}

async function serve(): Promise<void> {
  const cancelled = new Set<number>();
  let chain = Promise.resolve();
  process.on('message', (m: ToWorker) => {
    if (m.kind === 'cancel') {
      cancelled.add(m.id);
      return;
    }
    chain = chain.then(async () => {
      if (cancelled.delete(m.id)) return send({ kind: 'error', id: m.id, message: 'Cancelled.', userError: true });
      setProgress((message, data) => send({ kind: 'progress', id: m.id, message, ...(data === undefined ? {} : { data }) }));
      try {
        const h = handlers[m.method] as Handler<keyof Methods>;
        if (!h) throw new Error(`unknown method ${m.method}`);
        send({ kind: 'result', id: m.id, result: await h(withModelFile(m.params) as never) });
      } catch (e) {
        const err = e as Error;
        send({ kind: 'error', id: m.id, message: err.message ?? String(e), userError: isUserError(e), detail: isUserError(e) ? e.detail : undefined, stack: err.stack });
      }
    });
  });
  process.on('disconnect', () => process.exit(0));
}

const i = process.argv.indexOf('--probe');
if (i >= 0) void probeMain(process.argv[i + 1], process.argv[i + 2]);
else {
  // Which adapter WebGPU would open is found once, in a probe process, when first needed.
  setAdapterProbe(() => probeWebGpu(__filename, getProviderOptions()));
  void serve();
}
