import assert from 'node:assert/strict';
import { isUserError } from '../../../src/core/errors';
import {
  SOFTWARE_ADAPTER_LABEL,
  adapterFromLog,
  adapterText,
  checkProviderOptions,
  describeAdapter,
  executionProviderConfig,
  explainFailure,
  skipSoftwareAdapter,
  usableOrder,
} from '../../../src/core/session/providers';

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

describe('WebGPU adapter and provider options', () => {
  it('names the adapter from the Vulkan loader log; SwiftShader and llvmpipe are software', () => {
    const log = 'DRIVER | LAYER:   vkCreateDevice layer callstack setup to:\n   Using "SwiftShader Device (Subzero)" with driver: "/usr/lib/chromium/./libvk_swiftshader.so"\n';
    assert.deepEqual(adapterFromLog(log), {
      vendor: 'Google',
      architecture: '',
      description: 'SwiftShader Device (Subzero)',
      type: 'cpu',
      driver: '/usr/lib/chromium/./libvk_swiftshader.so',
      software: true,
      label: SOFTWARE_ADAPTER_LABEL,
    });
    assert.equal(SOFTWARE_ADAPTER_LABEL, 'software Vulkan (SwiftShader/llvmpipe): correct, not fast');
    assert.equal(adapterFromLog('no device line'), null);
    const lvp = describeAdapter('llvmpipe (LLVM 15.0.6, 256 bits)', '/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so');
    assert.deepEqual([lvp.vendor, lvp.type, lvp.software], ['Mesa', 'cpu', true]);
    const nv = describeAdapter('NVIDIA GeForce RTX 3060', 'libGLX_nvidia.so.0');
    assert.deepEqual([nv.vendor, nv.type, nv.software, nv.label], ['NVIDIA', 'discrete', false, null]);
    const intel = describeAdapter('Intel(R) UHD Graphics 620 (KBL GT2)', '/usr/lib/x86_64-linux-gnu/libvulkan_intel.so');
    assert.deepEqual([intel.vendor, intel.type, intel.architecture], ['Intel', 'integrated', 'KBL GT2']);
    assert.match(adapterText(adapterFromLog(log)), /^Google "SwiftShader Device \(Subzero\)" \(cpu\): software Vulkan/);
  });

  it('a software adapter is used only when webgpu is listed first', () => {
    const sw = describeAdapter('SwiftShader Device (Subzero)');
    assert.match(skipSoftwareAdapter('webgpu', ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'], sw)!, /not used automatically over cpu/);
    assert.match(skipSoftwareAdapter('webgpu', ['cuda', 'webgpu'], sw)!, /list webgpu first/);
    assert.equal(skipSoftwareAdapter('webgpu', [' WebGPU ', 'cpu'], sw), null);
    assert.equal(skipSoftwareAdapter('webgpu', ['cuda', 'webgpu', 'cpu'], describeAdapter('NVIDIA GeForce RTX 4090')), null);
    assert.equal(skipSoftwareAdapter('webgpu', ['cuda', 'webgpu', 'cpu'], null), null);
    assert.equal(skipSoftwareAdapter('cpu', ['cpu'], sw), null);
  });

  it('passes only the options onnxruntime-node accepts, and refuses wrong values', () => {
    // WebGPU refuses deviceId ("unrecognized option"): it is not passed even when given.
    const o = checkProviderOptions({ webgpu: { deviceId: 0, validationMode: 'full', preferredLayout: 'NHWC', forceCpuNodeNames: ['/a/Softmax'] }, cuda: { deviceId: 1 } });
    assert.deepEqual(executionProviderConfig('webgpu', o), { name: 'webgpu', validationMode: 'full', preferredLayout: 'NHWC', forceCpuNodeNames: ['/a/Softmax'] });
    assert.deepEqual(executionProviderConfig('cuda', o), { name: 'cuda', deviceId: 1 });
    assert.equal(executionProviderConfig('cpu', o), 'cpu');
    assert.equal(executionProviderConfig('webgpu', checkProviderOptions({ webgpu: { forceCpuNodeNames: [] } })), 'webgpu');
    assert.throws(() => checkProviderOptions({ webgpu: { validationMode: 'strict' } }), (e: unknown) => isUserError(e) && /validationMode must be one of disabled, wgpuOnly, basic, full/.test((e as Error).message));
    assert.throws(() => checkProviderOptions({ cuda: { deviceId: -1 } }), (e: unknown) => isUserError(e) && /deviceId must be a whole number/.test((e as Error).message));
    assert.throws(() => checkProviderOptions({ webgpu: { forceCpuNodeNames: 'a' } }), (e: unknown) => isUserError(e) && /list of node names/.test((e as Error).message));
  });

  it('names what Dawn rejected when there is no adapter', () => {
    const r = explainFailure('webgpu', 'Failed to get a WebGPU adapter: No supported adapters', 'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.\n', true);
    assert.match(r.reason, /no WebGPU adapter .*; Dawn: Vulkan shaderUniform\*ArrayDynamicIndexing required\./);
    assert.match(r.fix!, /Vulkan \(Linux\), Metal \(macOS\) or D3D12 \(Windows\)/);
  });
});
