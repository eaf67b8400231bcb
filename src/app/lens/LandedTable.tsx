/**
 * "Where the merge landed": per layer, the merge output's relative distance to each parent and its position between
 * them (0 = at a, 1 = at b), beside the stage's t for that layer.
 */
import type { Landed } from './lens-view';

export function LandedTable({ rows, t }: { rows: readonly Landed[]; t: readonly (number | undefined)[] | undefined }) {
  const fmt = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? '—' : v.toFixed(digits));
  return (
    <div className="layer-table-wrap">
      <table className="layer-table lens-landed" aria-label="Where the merge landed">
        <thead>
          <tr>
            <th>row</th>
            <th title="‖merge − a‖ / ‖a‖">to a</th>
            <th title="‖merge − b‖ / ‖b‖">to b</th>
            <th>between a and b</th>
            {t === undefined ? null : <th>t</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.label}>
              <td>{row.label}</td>
              <td>{fmt(row.toA)}</td>
              <td>{fmt(row.toB)}</td>
              <td>
                {row.position === null ? '—' : (
                  <span className="lens-position" title={row.position.toFixed(3)}>
                    <span style={{ left: `${row.position * 100}%` }} />
                  </span>
                )}
              </td>
              {t === undefined ? null : <td>{row.layer === undefined ? '' : fmt(t[row.layer], 3)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
