/** The tool's version: in shard metadata, the index, model cards and every run's fingerprint. */
export const TOOL_VERSION = '0.1.0';
