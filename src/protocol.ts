/**
 * The messages between the extension host and its webviews: one discriminated union
 * each way. Every message from a webview is checked by `parseWebviewMessage` before use.
 */
import type { ProvidersResult } from './runtime/rpc';

export type PanelKind = 'providers' | 'architecture' | 'classify' | 'windows' | 'complexity';

/** Host → webview. */
export type HostMessage =
  | ({ type: 'providers' } & ProvidersResult)
  | { type: 'busy'; message: string }
  | { type: 'error'; message: string }
  | { type: 'theme'; kind: 'light' | 'dark' | 'high-contrast' };

/** Webview → host. */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'refresh' }
  | { type: 'copy'; text: string }
  | { type: 'openSettings'; query: string };

const isStr = (v: unknown, max = 1_000_000): v is string => typeof v === 'string' && v.length <= max;

/** Validate an untrusted message from a webview; undefined if it is not one we accept. */
export function parseWebviewMessage(raw: unknown): WebviewMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
    case 'refresh':
      return { type: m.type };
    case 'copy':
      return isStr(m.text) ? { type: 'copy', text: m.text } : undefined;
    case 'openSettings':
      return isStr(m.query, 200) ? { type: 'openSettings', query: m.query } : undefined;
    default:
      return undefined;
  }
}
