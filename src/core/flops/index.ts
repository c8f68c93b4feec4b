/** Analytic MACs and params from a config, the paper's complexity terms, and window sweeps. */
export * from './config';
export * from './complexity';
export * from './analytic';
export * from './params';
export * from './sweep';
