/**
 * The output folder's settings: name, dtype, shard size, and where it is written. Presentational: values in, changes
 * out. Text fields report on blur or Enter ({@link CommitTextField}).
 */
import { useId } from 'react';
import type { ReactNode } from 'react';

import { ChoiceField, CommitTextField, commitOnEnter } from './fields';
import type { Choice } from './fields';

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

const DTYPES: readonly Choice<DtypeChoice>[] = [
  { value: 'recipe', label: 'As the recipe says' },
  { value: 'bfloat16', label: 'bfloat16' },
  { value: 'float16', label: 'float16' },
  { value: 'float32', label: 'float32' },
];

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
      <ChoiceField id={`${id}-dtype`} label="Weights dtype" value={props.dtype} choices={DTYPES} onChange={props.onDtypeChange} />
      <CommitTextField id={`${id}-shard`} label="Largest shard" value={props.shardSize} error={props.shardSizeError} onCommit={props.onShardSizeChange} />
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
