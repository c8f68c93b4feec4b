import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { summariseProfile } from '../../src/runtime/placement';
import { useRuntime } from './useRuntime';

describe('node placement (ONNX Runtime profiling)', function () {
  this.timeout(60_000);
  const client = useRuntime();

  it('counts kernels per provider and lists the nodes that fell back from the chosen one', () => {
    const k = (name: string, op: string, provider: string, dur = 1000) => ({ cat: 'Node', name: `${name}_kernel_time`, dur, args: { op_name: op, provider } });
    const s = summariseProfile(
      [
        k('/attn/MatMul', 'MatMul', 'CUDAExecutionProvider'),
        k('/attn/Softmax', 'Softmax', 'CUDAExecutionProvider'),
        k('/shape/Range', 'Range', 'CPUExecutionProvider', 500),
        { cat: 'Node', name: '/attn/MatMul_fence_before', dur: 0, args: {} },
        { cat: 'Session', name: 'model_run', dur: 9000 },
      ],
      'cuda',
    );
    assert.equal(s.nodes, 3);
    assert.deepEqual(s.byProvider, [
      { provider: 'CUDAExecutionProvider', nodes: 2, ms: 2 },
      { provider: 'CPUExecutionProvider', nodes: 1, ms: 0.5 },
    ]);
    assert.deepEqual(s.fallback, [{ name: '/shape/Range', op: 'Range', provider: 'CPUExecutionProvider' }]);
  });

  it('profiles the embedded Swin for real: on CPU every node runs on the CPU provider', async () => {
    const r = await client.request('placement', { model: resolve('media/models/fashion-swin.onnx'), order: ['cpu'] });
    assert.equal(r.ep, 'cpu');
    assert.ok(r.nodes > 50, `${r.nodes} nodes`);
    assert.deepEqual(r.byProvider.map((b) => b.provider), ['CPUExecutionProvider']);
    assert.deepEqual(r.fallback, []);
  });
});
