/**
 * What more than one e2e suite reads off a panel the same way: Show Shifted Windows' status line,
 * Compare Window Complexity's stage rows, and an execution provider's row once it works.
 */
import * as assert from 'node:assert/strict';
import type { Frame, Page } from 'playwright-core';
import { findWebviewFrame, runCommand } from './harness';
import { shiftedWindowsText, stageRows } from './expected';

/** The stage table's first six cells per row, as shown. */
export const shownStageRows = (frame: Frame): Promise<string[][]> =>
  frame.locator('#stage-table tbody tr').evaluateAll((rows) => rows.map((r) => [...(r as HTMLTableRowElement).cells].slice(0, 6).map((c) => (c.textContent ?? '').trim())));

/** Show Shifted Windows: the window counts before and after the shift, as the core counts them for Swin-T's stage 1. */
export async function checkShiftedWindows(page: Page): Promise<void> {
  await runCommand(page, 'ViT Inspector: Show Shifted Windows');
  const frame = await findWebviewFrame(page, '#mask', 60_000);
  const want = shiftedWindowsText();
  const status = await frame.locator('[role=status]').innerText();
  assert.ok(status.includes(want.tokens), `${status}\n  lacks: ${want.tokens}`);
  assert.ok(status.includes(want.windows), `${status}\n  lacks: ${want.windows}`);
}

/** Compare Window Complexity: Ω(MSA) and Ω(W-MSA) per stage of what the panel shows (`model`, or a preset), from the core's count. */
export async function checkComplexity(page: Page, model: string): Promise<void> {
  await runCommand(page, 'ViT Inspector: Compare Window Complexity');
  const frame = await findWebviewFrame(page, '#stage-table', 60_000);
  const source = await frame.locator('#source').inputValue();
  assert.deepEqual(await shownStageRows(frame), stageRows(source, model));
}

/** Show Execution Providers, then provider `name`'s row once its probe says it works: the panel and the row's text, white space folded. */
export async function workingProvider(page: Page, name: string, timeouts: { panelMs: number; probeMs: number }): Promise<{ frame: Frame; text: string }> {
  await runCommand(page, 'ViT Inspector: Show Execution Providers');
  const frame = await findWebviewFrame(page, `tr[data-provider=${name}]`, timeouts.panelMs);
  const row = frame.locator(`tr[data-provider=${name}]`);
  await row.locator('text=works').first().waitFor({ timeout: timeouts.probeMs });
  return { frame, text: (await row.innerText()).replace(/\s+/g, ' ') };
}
