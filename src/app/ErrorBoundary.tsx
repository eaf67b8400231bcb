import { Component } from 'react';
import type { ErrorInfo, ReactNode } from 'react';

/**
 * Last line of defence: a rendering bug shows what broke and a way back (the recipe is autosaved, so a reload keeps it)
 * instead of a blank page.
 */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | undefined }> {
  override state: { error: Error | undefined } = { error: undefined };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('Merge Studio crashed while rendering', error, info.componentStack);
  }

  override render() {
    if (this.state.error === undefined) return this.props.children;
    return (
      <div className="crash" role="alert">
        <h1>Something went wrong in the studio</h1>
        <p className="error-message">{this.state.error.message}</p>
        <p className="muted">Your recipe is saved in this browser. Reload to continue where you left off.</p>
        <button type="button" onClick={() => window.location.reload()}>
          Reload
        </button>
      </div>
    );
  }
}
