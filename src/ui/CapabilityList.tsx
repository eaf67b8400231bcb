export interface Capability {
  readonly name: string;
  readonly status: 'ok' | 'limited' | 'missing';
  readonly detail: string;
}

const STATUS_LABEL: Record<Capability['status'], string> = { ok: 'Ready', limited: 'Limited', missing: 'Missing' };

export function CapabilityList({ items }: { readonly items: readonly Capability[] }) {
  return (
    <ul className="capabilities">
      {items.map((item) => (
        <li key={item.name} className={`capability capability-${item.status}`} data-testid={`capability-${item.name}`}>
          <span className="capability-status">{STATUS_LABEL[item.status]}</span>
          <span className="capability-name">{item.name}</span>
          <span className="capability-detail">{item.detail}</span>
        </li>
      ))}
    </ul>
  );
}
