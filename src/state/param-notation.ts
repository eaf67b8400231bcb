/**
 * Parameter values as the user types them, in mergekit's notation: `0.5`, `true`, a gradient `[0, 0.5, 1]`, or
 * conditional entries `[{filter: self_attn, value: [0, 1]}, {value: 0.5}]` — the same YAML flow text the recipe uses.
 */
import { parse, stringify } from 'yaml';

import type { ConditionalEntry, ParameterSetting, Scalar } from '../recipe/types';

export function formatSetting(setting: ParameterSetting | undefined): string {
  if (setting === undefined) return '';
  if (!Array.isArray(setting)) return String(setting);
  return stringify(setting, { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 }).trim();
}

export type ParsedSetting = { readonly ok: true; readonly value: ParameterSetting | undefined } | { readonly ok: false; readonly reason: string };

/** Reads the notation back (empty text: no value); says why when the text is not a value mergekit accepts. */
export function parseSetting(text: string): ParsedSetting {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: undefined };
  const reason = `${JSON.stringify(trimmed)} is not a number, true/false, a list [a, b, …] or filter entries.`;
  let value: unknown;
  try {
    value = parse(trimmed);
  } catch {
    return { ok: false, reason };
  }
  if (isScalar(value)) return { ok: true, value };
  if (Array.isArray(value) && value.length > 0 && value.every(isScalar)) return { ok: true, value: value as Scalar[] };
  if (Array.isArray(value) && value.length > 0 && value.every(isEntry)) return { ok: true, value: value as ConditionalEntry[] };
  return { ok: false, reason };
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'number' || typeof value === 'boolean' || (typeof value === 'string' && value !== '');
}

function isEntry(value: unknown): value is ConditionalEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entry = value as Record<string, unknown>;
  const keysOk = Object.keys(entry).every((k) => k === 'filter' || k === 'value');
  const v = entry['value'];
  return keysOk && (isScalar(v) || (Array.isArray(v) && v.length > 0 && v.every(isScalar))) && (entry['filter'] === undefined || typeof entry['filter'] === 'string');
}


/**
 * A short description of a list value, for places too narrow for its text: `gradient · 3 anchors`,
 * `3 curves · self_attn, mlp, default`; undefined for a single value, which shows as it is.
 */
export function settingSummary(setting: ParameterSetting | undefined): string | undefined {
  if (setting === undefined || !Array.isArray(setting)) return undefined;
  const list = setting as readonly (Scalar | ConditionalEntry)[];
  if (list.every(isScalar)) return `gradient · ${list.length} anchor${list.length === 1 ? '' : 's'}`;
  const names = (list as readonly ConditionalEntry[]).map((e) => (e.filter === undefined || e.filter === '*' ? 'default' : e.filter));
  return `${names.length} curve${names.length === 1 ? '' : 's'} · ${names.join(', ')}`;
}
