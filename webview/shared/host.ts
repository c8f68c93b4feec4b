/** The webview's side of src/shared/protocol.ts: typed post, typed receive, persisted state. */
import type { HostMessage, WebviewMessage } from '../../src/shared/protocol';

interface VsCodeApi {
  postMessage(m: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function post(m: WebviewMessage): void {
  api.postMessage(m);
}

export function onMessage(handler: (m: HostMessage) => void): void {
  window.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as HostMessage;
    if (m && typeof m === 'object' && typeof m.type === 'string') handler(m);
  });
}

export function getState<T>(): T | undefined {
  return api.getState() as T | undefined;
}

export function setState<T>(s: T): void {
  api.setState(s);
}
