/**
 * For tests that need a GPU provider: the software Vulkan driver scripts/setup-test-env.mjs found
 * (.cache/vulkan-icd.json), put in this process's environment so the inference process (and a
 * code-server started from here) inherit it. Missing setup fails the test; a setup that could not
 * provide a driver skips it with the reason printed locally, and fails it under CI (test/skip.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { skipBecause } from './skip';

/** The ICD setup found, in this process's environment (the inference process inherits it). */
export function useSoftwareVulkan(ctx: Mocha.Context): string {
  const marker = resolve(process.env.VIT_TEST_CACHE || '.cache', 'vulkan-icd.json');
  if (!existsSync(marker)) throw new Error(`${marker} is missing: run node scripts/setup-test-env.mjs (it provisions the software Vulkan driver for the WebGPU tests)`);
  const m = JSON.parse(readFileSync(marker, 'utf8')) as { ok: boolean; icd?: string; reason?: string };
  if (!m.ok) skipBecause(ctx, `no software Vulkan driver for the WebGPU tests: ${m.reason}`);
  if (!existsSync(m.icd!)) throw new Error(`${m.icd} (from ${marker}) is gone: run node scripts/setup-test-env.mjs again`);
  process.env.VK_ICD_FILENAMES = m.icd;
  return m.icd!;
}

