/** A typed error as the user reads it: what happened, where, and what to do. */
export interface ErrorNoteProps {
  readonly message: string;
  readonly where?: string | undefined;
  readonly hint?: string | undefined;
  readonly testId?: string;
}

export function ErrorNote({ message, where, hint, testId }: ErrorNoteProps) {
  return (
    <div className="error-note" role="alert" data-testid={testId}>
      <p className="error-message">{message}</p>
      {where === undefined || where === '' ? null : <p className="error-where">{where}</p>}
      {hint === undefined ? null : <p className="error-hint">{hint}</p>}
    </div>
  );
}
