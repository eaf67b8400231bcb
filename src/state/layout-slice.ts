/**
 * How the studio's columns are arranged: which side panels and whether the run drawer are open. The user's choice is
 * remembered in storage, so the workspace opens as it was left.
 */
import type { StateCreator } from 'zustand';


export type PanelId = 'models' | 'inspector' | 'run';

export interface LayoutSlice {
  /** Open panels by id; a collapsed side panel keeps a narrow rail, the run drawer a one-line status. */
  readonly layout: Readonly<Record<PanelId, boolean>>;
  togglePanel(panel: PanelId, open?: boolean): void;
}

export const LAYOUT_KEY = 'merge-studio:layout';

/** Both side panels open, the run drawer collapsed to its status line: the canvas gets the room. */
export const DEFAULT_LAYOUT: Readonly<Record<PanelId, boolean>> = { models: true, inspector: true, run: false };

/** The saved arrangement, keeping only known panels with boolean values (the storage may hold anything). */
export function readLayout(storage: Pick<Storage, 'getItem'> | undefined): Record<PanelId, boolean> {
  const layout = { ...DEFAULT_LAYOUT };
  try {
    const saved: unknown = JSON.parse(storage?.getItem(LAYOUT_KEY) ?? 'null');
    if (typeof saved !== 'object' || saved === null) return layout;
    for (const key of Object.keys(layout) as PanelId[]) {
      const value = (saved as Record<string, unknown>)[key];
      if (typeof value === 'boolean') layout[key] = value;
    }
  } catch {
    // an unreadable saved layout falls back to the default
  }
  return layout;
}

export function createLayoutSlice(storage: Storage | undefined): StateCreator<LayoutSlice> {
  return (set, get) => ({
    layout: readLayout(storage),
    togglePanel: (panel, open) => {
      const layout = { ...get().layout, [panel]: open ?? !get().layout[panel] };
      try {
        storage?.setItem(LAYOUT_KEY, JSON.stringify(layout));
      } catch {
        // storage full or disabled: the layout lasts for this page only
      }
      set({ layout });
    },
  });
}
