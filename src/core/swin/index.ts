/** Swin's window machinery as pure functions, named after the official code. */
export * from './window';
export * from './shift';
export * from './mask';
export * from './relpos';
export * from './merge';
