/**
 * The output folder's settings: name, dtype, shard size, and where it is written. Presentational: values in, changes
 * out. Text fields report on blur or Enter, so typing does not recompile the plan at every key.
 */
import { useId } from 'react';
import type { KeyboardEvent, ReactNode } from 'react';

export type DtypeChoice = 'recipe' | 'float32' | 'float16' | 'bfloat16';

export interface OutputSettingsProps {
  readonly name: string;
  readonly dtype: DtypeChoice;
  /** Shard size as the user typed it (`5GB`, `500MB`). */
  readonly shardSize: string;
  readonly shardSizeError: string | undefined;
  /** The chosen folder's name, or undefined before one is chosen. */
  readonly folderName: string | undefined;
  /** A line under the folder (what is in it, or where it lives). */
  readonly folderNote: string | undefined;
  readonly chooseLabel: string;
  readonly disabled: boolean;
  readonly onNameChange: (name: string) => void;
  readonly onDtypeChange: (dtype: DtypeChoice) => void;
  readonly onShardSizeChange: (text: string) => void;
  readonly onChooseFolder: () => void;
  /** More fields in the same grid, before the folder (the GGUF settings). */
  readonly children?: ReactNode;
}

const DTYPES: readonly { value: DtypeChoice; label: string }[] = [
  { value: 'recipe', label: 'As the recipe says' },
  { value: 'bfloat16', label: 'bfloat16' },
  { value: 'float16', label: 'float16' },
  { value: 'float32', label: 'float32' },
];

function commitOnEnter(event: KeyboardEvent<HTMLInputElement>): void {
  if (event.key === 'Enter') event.currentTarget.blur();
}

export function OutputSettings(props: OutputSettingsProps) {
  const id = useId();
  return (
    <fieldset className="output-settings" disabled={props.disabled}>
      <legend>Output</legend>
      <label htmlFor={`${id}-name`}>Model name</label>
      <input
        id={`${id}-name`}
        key={`name-${props.name}`}
        defaultValue={props.name}
        spellCheck={false}
        onBlur={(e) => e.currentTarget.value.trim() !== props.name && props.onNameChange(e.currentTarget.value.trim())}
        onKeyDown={commitOnEnter}
      />
      <label htmlFor={`${id}-dtype`}>Weights dtype</label>
      <select id={`${id}-dtype`} value={props.dtype} onChange={(e) => props.onDtypeChange(e.currentTarget.value as DtypeChoice)}>
        {DTYPES.map((d) => (
          <option key={d.value} value={d.value}>
            {d.label}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-shard`}>Largest shard</label>
      <div className="field-with-error">
        <input
          id={`${id}-shard`}
          key={`shard-${props.shardSize}`}
          defaultValue={props.shardSize}
          spellCheck={false}
          aria-invalid={props.shardSizeError !== undefined}
          aria-describedby={props.shardSizeError === undefined ? undefined : `${id}-shard-error`}
          onBlur={(e) => e.currentTarget.value.trim() !== props.shardSize && props.onShardSizeChange(e.currentTarget.value.trim())}
          onKeyDown={commitOnEnter}
        />
        {props.shardSizeError === undefined ? null : (
          <span className="field-error" id={`${id}-shard-error`}>
            {props.shardSizeError}
          </span>
        )}
      </div>
      {props.children}
      <span className="label">Folder</span>
      <div className="folder-choice">
        <button type="button" className="button" onClick={props.onChooseFolder}>
          {props.chooseLabel}
        </button>
        <div className="folder-text">
          <span className="folder-name" data-testid="output-folder">
            {props.folderName ?? 'No folder chosen'}
          </span>
          {props.folderNote === undefined ? null : <span className="folder-note">{props.folderNote}</span>}
        </div>
      </div>
    </fieldset>
  );
}
