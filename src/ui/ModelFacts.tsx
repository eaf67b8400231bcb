/** The header facts of a model, one compact line of chips. */
export interface ModelFactsProps {
  readonly facts: readonly { readonly label: string; readonly value: string }[];
}

export function ModelFacts({ facts }: ModelFactsProps) {
  return (
    <dl className="facts">
      {facts.map((fact) => (
        <div key={fact.label} className="fact" title={fact.label}>
          <dt>{fact.label}</dt>
          <dd>{fact.value}</dd>
        </div>
      ))}
    </dl>
  );
}
