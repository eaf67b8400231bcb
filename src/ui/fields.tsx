/**
 * Fields of the settings grids (a label cell, then its control): a choice among labelled values, and a text that
 * reports on blur or Enter, so typing does not recompile the plan at every key.
 */
import type { KeyboardEvent, ReactNode } from 'react';

export interface Choice<T extends string> {
  readonly value: T;
  readonly label: string;
}

export function commitOnEnter(event: KeyboardEvent<HTMLInputElement>): void {
  if (event.key === 'Enter') event.currentTarget.blur();
}

export function ChoiceField<T extends string>(props: { id: string; label: string; value: T; choices: readonly Choice<T>[]; onChange: (value: T) => void }) {
  return (
    <>
      <label htmlFor={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value as T)}>
        {props.choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
    </>
  );
}

/** A text field that reports its trimmed text when it changed, with its error (and `children`, a note) under it. */
export function CommitTextField(props: {
  id: string;
  label: string;
  value: string;
  error: string | undefined;
  placeholder?: string;
  onCommit: (text: string) => void;
  children?: ReactNode;
}) {
  const errorId = `${props.id}-error`;
  return (
    <>
      <label htmlFor={props.id}>{props.label}</label>
      <div className="field-with-error">
        <input
          id={props.id}
          key={props.value}
          defaultValue={props.value}
          placeholder={props.placeholder}
          spellCheck={false}
          aria-invalid={props.error !== undefined}
          aria-describedby={props.error === undefined ? undefined : errorId}
          onBlur={(e) => e.currentTarget.value.trim() !== props.value && props.onCommit(e.currentTarget.value.trim())}
          onKeyDown={commitOnEnter}
        />
        {props.error === undefined ? null : (
          <span className="field-error" id={errorId}>
            {props.error}
          </span>
        )}
        {props.children}
      </div>
    </>
  );
}
