import assert from 'node:assert/strict';
import { explainFailure, usableOrder } from '../../../src/core/inference/providers';

describe('execution provider order', () => {
  const linux = [{ name: 'cpu', bundled: true }, { name: 'webgpu', bundled: true }, { name: 'cuda', bundled: false }];

  it('keeps the user order, drops providers the build lacks, and ends with cpu', () => {
    assert.deepEqual(usableOrder(['cuda', 'dml', 'coreml', 'webgpu', 'cpu'], linux), ['cuda', 'webgpu', 'cpu']);
    assert.deepEqual(usableOrder(['webgpu'], linux), ['webgpu', 'cpu']);
    assert.deepEqual(usableOrder([' CUDA ', 'cuda', 'cpu'], linux), ['cuda', 'cpu']);
  });

  it('names the missing CUDA provider library and the command that installs it', () => {
    const log = 'Failed to load library /x/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_shared.so with error: cannot open shared object file';
    const r = explainFailure('cuda', 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library', log, false, '/x/node_modules/onnxruntime-node');
    assert.match(r.reason, /libonnxruntime_providers_shared\.so missing/);
    assert.match(r.fix!, /cd \/x\/node_modules\/onnxruntime-node && ONNXRUNTIME_NODE_INSTALL=cuda12 node script\/install\.js/);
  });

  it('names a missing CUDA toolkit library', () => {
    const r = explainFailure('cuda', 'Failed', 'libcublasLt.so.12: cannot open shared object file: No such file or directory', true);
    assert.match(r.reason, /libcublasLt\.so\.12/);
    assert.match(r.fix!, /CUDA 12 and cuDNN 9/);
  });

  it('explains a WebGPU adapter failure', () => {
    const r = explainFailure('webgpu', 'Failed to get a WebGPU adapter: No supported adapters', '', true);
    assert.match(r.reason, /no WebGPU adapter/);
  });
});
