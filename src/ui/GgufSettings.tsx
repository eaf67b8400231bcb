/**
 * The GGUF part of the output settings: format (safetensors, GGUF or both), the GGUF weight type, the split size, and
 * the files the plan will write with their sizes. Presentational: rendered inside the output settings' grid.
 */
import { useId } from 'react';

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

const FORMATS: readonly { value: OutputFormat; label: string }[] = [
  { value: 'safetensors', label: 'safetensors' },
  { value: 'gguf', label: 'GGUF' },
  { value: 'both', label: 'Both' },
];

const TYPES: readonly { value: GgufOutputType; label: string }[] = [
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
      <label htmlFor={`${id}-format`}>Format</label>
      <select id={`${id}-format`} value={props.format} onChange={(e) => props.onFormatChange(e.currentTarget.value as OutputFormat)}>
        {FORMATS.map((f) => (
          <option key={f.value} value={f.value}>
            {f.label}
          </option>
        ))}
      </select>
      {gguf ? (
        <>
          <label htmlFor={`${id}-type`}>GGUF type</label>
          <select id={`${id}-type`} value={props.type} onChange={(e) => props.onTypeChange(e.currentTarget.value as GgufOutputType)}>
            {TYPES.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </select>
          <label htmlFor={`${id}-split`}>Split GGUF above</label>
          <div className="field-with-error">
            <input
              id={`${id}-split`}
              key={`split-${props.splitSize}`}
              defaultValue={props.splitSize}
              placeholder="no split"
              spellCheck={false}
              aria-invalid={props.splitSizeError !== undefined}
              onBlur={(e) => e.currentTarget.value.trim() !== props.splitSize && props.onSplitSizeChange(e.currentTarget.value.trim())}
              onKeyDown={(e) => e.key === 'Enter' && e.currentTarget.blur()}
            />
            {props.splitSizeError === undefined ? null : <span className="field-error">{props.splitSizeError}</span>}
            <span className="folder-note" data-testid="gguf-estimate">
              {props.estimate ?? 'Planning…'}
            </span>
          </div>
        </>
      ) : null}
    </>
  );
}
