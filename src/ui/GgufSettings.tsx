/**
 * The GGUF part of the output settings: format (safetensors, GGUF or both), the GGUF weight type, the split size, and
 * the files the plan will write with their sizes. Presentational: rendered inside the output settings' grid.
 */
import { useId } from 'react';

import { ChoiceField, CommitTextField } from './fields';
import type { Choice } from './fields';

export type OutputFormat = 'safetensors' | 'gguf' | 'both';
export type GgufOutputType = 'f16' | 'bf16' | 'q8_0' | 'f32';

export interface GgufSettingsProps {
  readonly format: OutputFormat;
  readonly type: GgufOutputType;
  readonly splitSize: string;
  readonly splitSizeError: string | undefined;
  /** `merged.gguf (1.2 GB)`, or undefined until planned. */
  readonly estimate: string | undefined;
  readonly onFormatChange: (format: OutputFormat) => void;
  readonly onTypeChange: (type: GgufOutputType) => void;
  readonly onSplitSizeChange: (text: string) => void;
}

const FORMATS: readonly Choice<OutputFormat>[] = [
  { value: 'safetensors', label: 'safetensors' },
  { value: 'gguf', label: 'GGUF' },
  { value: 'both', label: 'Both' },
];

const TYPES: readonly Choice<GgufOutputType>[] = [
  { value: 'f16', label: 'F16' },
  { value: 'bf16', label: 'BF16' },
  { value: 'q8_0', label: 'Q8_0 (8-bit)' },
  { value: 'f32', label: 'F32' },
];

export function GgufSettings(props: GgufSettingsProps) {
  const id = useId();
  const gguf = props.format !== 'safetensors';
  return (
    <>
      <ChoiceField id={`${id}-format`} label="Format" value={props.format} choices={FORMATS} onChange={props.onFormatChange} />
      {gguf ? (
        <>
          <ChoiceField id={`${id}-type`} label="GGUF type" value={props.type} choices={TYPES} onChange={props.onTypeChange} />
          <CommitTextField id={`${id}-split`} label="Split GGUF above" value={props.splitSize} error={props.splitSizeError} placeholder="no split" onCommit={props.onSplitSizeChange}>
            <span className="folder-note" data-testid="gguf-estimate">
              {props.estimate ?? 'Planning…'}
            </span>
          </CommitTextField>
        </>
      ) : null}
    </>
  );
}
