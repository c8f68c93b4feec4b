import type * as vscode from 'vscode';
import type { PreprocessingOverrides } from '../core/image/preprocess';
import type { EvaluateOptions } from '../runtime/evaluate';

/**
 * The vitInspector.preprocessing.* settings as overrides of the model's own preprocessing: one
 * reading for every panel that runs the model, so the step-through traces the image Classify showed.
 */
export function preprocessingOverrides(cfg: vscode.WorkspaceConfiguration): PreprocessingOverrides {
  return {
    resize: cfg.get<number | null>('preprocessing.resize') ?? undefined,
    crop: cfg.get<number | null>('preprocessing.crop') ?? undefined,
    mean: (cfg.get<number[] | null>('preprocessing.mean') as [number, number, number] | null) ?? undefined,
    std: (cfg.get<number[] | null>('preprocessing.std') as [number, number, number] | null) ?? undefined,
    interpolation: cfg.get('preprocessing.interpolation', 'auto'),
  };
}

/** The settings a labelled folder is scored with (Evaluate Model on Folder and Compare Models alike): Classify's labels, preprocessing and pixel limit. */
export function scoringSettings(cfg: vscode.WorkspaceConfiguration): Pick<EvaluateOptions, 'labelsFile' | 'overrides' | 'maxPixels'> {
  return { labelsFile: cfg.get<string>('labelsFile', '') || undefined, overrides: preprocessingOverrides(cfg), maxPixels: cfg.get('maxImagePixels', 100_000_000) };
}
