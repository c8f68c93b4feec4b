/**
 * What the Evaluate and Compare pages keep with setState: after a window reload VS Code hands it to
 * the host's revive, which shows it again and runs its buttons on the models and folder it names.
 * It comes from a webview, so it is checked like a message before use.
 */
import type { CompareDocument } from '../core/compare/document';
import type { EvaluateView } from './protocol';

export interface EvaluateState {
  view: EvaluateView;
}

export interface CompareState {
  doc: CompareDocument;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length <= 10_000;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const arrayOf = <T>(v: unknown, each: (x: unknown) => x is T): v is T[] => Array.isArray(v) && v.every(each);
const isStrs = (v: unknown): v is string[] => arrayOf(v, isStr);

function isPrediction(v: unknown): boolean {
  return isRec(v) && isStr(v.path) && isInt(v.truth) && arrayOf(v.top, isInt) && (v.probs === undefined || arrayOf(v.probs, isNum));
}

function isEvaluateModel(v: unknown): boolean {
  if (!isRec(v) || !isStr(v.name) || !isStr(v.path) || !isStrs(v.labels) || !isNum(v.accuracy) || !isNum(v.top5) || !isNum(v.imagesPerSecond)) return false;
  const n = v.labels.length;
  const square = Array.isArray(v.confusion) && v.confusion.length === n && v.confusion.every((row) => arrayOf(row, isInt) && row.length === n);
  const perClass = arrayOf(v.perClass, (c): c is Rec => isRec(c) && isStr(c.label) && isNum(c.precision) && isNum(c.recall) && isInt(c.support));
  const predictions = Array.isArray(v.predictions) && v.predictions.every((p) => isPrediction(p) && (p as { truth: number }).truth < n && (p as { top: number[] }).top.every((k) => k < n));
  return square && perClass && predictions;
}

/** The Evaluate page's saved view, or undefined when it is not one. */
export function parseEvaluateState(raw: unknown): EvaluateView | undefined {
  const v = isRec(raw) ? raw.view : undefined;
  if (!isRec(v)) return undefined;
  const ok =
    isStr(v.folder) &&
    (v.source === undefined || isStr(v.source)) &&
    (v.imageBase === null || isStr(v.imageBase)) &&
    isInt(v.images) &&
    Array.isArray(v.models) &&
    v.models.length > 0 &&
    v.models.every(isEvaluateModel) &&
    isStrs(v.unmatched) &&
    isStrs(v.empty) &&
    arrayOf(v.unreadable, (u): u is Rec => isRec(u) && isStr(u.path) && isStr(u.reason)) &&
    (v.note === null || isStr(v.note)) &&
    (v.agreement === null || isNum(v.agreement)) &&
    isStr(v.ep) &&
    isStrs(v.written);
  return ok ? (v as unknown as EvaluateView) : undefined;
}

function isCompareModel(v: unknown): boolean {
  return isRec(v) && isStr(v.name) && isStr(v.path) && isStr(v.family) && isNum(v.params) && isNum(v.macs) && isRec(v.byRole) && Object.values(v.byRole).every(isNum) && Array.isArray(v.stages);
}

/** The Compare page's saved document, or undefined when it is not one. */
export function parseCompareState(raw: unknown): CompareDocument | undefined {
  const d = isRec(raw) ? raw.doc : undefined;
  if (!isRec(d)) return undefined;
  const ev = d.evaluation;
  const ok =
    Array.isArray(d.models) &&
    d.models.length >= 2 &&
    d.models.every(isCompareModel) &&
    arrayOf(d.resolutions, isInt) &&
    Array.isArray(d.omega) &&
    (d.latency === undefined || arrayOf(d.latency, (l): l is Rec => isRec(l) && isStr(l.model) && isStr(l.ep) && isNum(l.msPerImage) && isInt(l.runs) && isNum(l.ratio))) &&
    (ev === undefined || (isRec(ev) && isStr(ev.folder) && isInt(ev.images) && isNum(ev.agreement) && Array.isArray(ev.accuracy) && Array.isArray(ev.disagreements)));
  return ok ? (d as unknown as CompareDocument) : undefined;
}
