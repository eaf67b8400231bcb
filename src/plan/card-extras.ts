/** What the studio measured about the merged model, added to the card before publishing when present. */
export interface CardExtras {
  /** A few lines from the lens view (Markdown), e.g. which layers changed most. */
  readonly lensSummary?: string;
  /** Try-it perplexity per model on the same text. */
  readonly perplexity?: readonly { readonly model: string; readonly perplexity: number; readonly tokens?: number }[];
}

const EXTRAS_START = '<!-- merge-studio:measurements -->';
const EXTRAS_END = '<!-- /merge-studio:measurements -->';

/**
 * The card with a "Measurements" section for `extras` (replacing one added earlier, so re-publishing does not stack
 * them); the card unchanged when there is nothing to add. Values are validated: a perplexity that is not a positive
 * finite number is left out rather than printed.
 */
export function withCardExtras(card: string, extras: CardExtras | undefined): string {
  const base = stripExtras(card).trimEnd();
  const lines: string[] = [];
  const lens = extras?.lensSummary?.trim();
  if (lens !== undefined && lens !== '') lines.push('### Lens summary', '', lens, '');
  const rows = (extras?.perplexity ?? []).filter((r) => Number.isFinite(r.perplexity) && r.perplexity > 0);
  if (rows.length > 0) {
    lines.push('### Perplexity', '', 'Measured in Merge Studio\'s Try it panel on the same text (lower is better):', '', '| model | perplexity | tokens |', '| :--- | ---: | ---: |');
    for (const row of rows) lines.push(`| ${escapeCell(row.model)} | ${row.perplexity.toFixed(3)} | ${row.tokens ?? '–'} |`);
    lines.push('');
  }
  if (lines.length === 0) return `${base}\n`;
  return `${base}\n\n${EXTRAS_START}\n## Measurements\n\n${lines.join('\n')}${EXTRAS_END}\n`;
}

function stripExtras(card: string): string {
  const start = card.indexOf(EXTRAS_START);
  const end = card.indexOf(EXTRAS_END);
  return start < 0 || end < start ? card : card.slice(0, start) + card.slice(end + EXTRAS_END.length);
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
