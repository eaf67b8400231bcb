import { useState } from 'react';

/**
 * One parameter in mergekit's notation (`0.5`, `[0, 0.5, 1]`, filter entries). The text commits on Enter or blur;
 * `onCommit` returns the reason when it refuses the text, which stays for the user to fix.
 */
export interface ParamFieldProps {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly value: string;
  readonly required: boolean;
  readonly placeholder?: string | undefined;
  onCommit(text: string): string | undefined;
}

export function ParamField({ id, name, description, value, required, placeholder, onCommit }: ParamFieldProps) {
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const commit = () => {
    if (draft === undefined || draft === value) {
      setDraft(undefined);
      setError(undefined);
      return;
    }
    const reason = onCommit(draft);
    setError(reason);
    if (reason === undefined) setDraft(undefined);
  };
  return (
    <div className="param-field">
      <label htmlFor={id} title={description}>
        {name}
        {required ? <span className="required" aria-hidden="true">*</span> : null}
      </label>
      <input
        id={id}
        className="nodrag"
        value={draft ?? value}
        placeholder={placeholder}
        spellCheck={false}
        aria-invalid={error !== undefined}
        title={description}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
        }}
      />
      {error === undefined ? null : (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
