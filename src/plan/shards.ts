/** The output tensors laid out in safetensors shards (the io layer decides the sizes, the header order and the index). */
import type { DType } from '../io/safetensors/dtype';
import { DEFAULT_MAX_SHARD_BYTES, planShards } from '../io/safetensors/layout';
import type { PlannedShard, PlannedTensor, TensorExpr } from './types';

/** An output tensor before it has a shard. */
export interface ProducedTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly expr: TensorExpr;
}

export interface ShardLayout {
  /** Tensors in write order: shard by shard, header order within a shard. */
  readonly tensors: PlannedTensor[];
  readonly shards: PlannedShard[];
  /** Bytes of every shard and of the index file, if any. */
  readonly bytes: number;
}

/** Assigns each produced tensor to a shard of at most `maxShardBytes` (the index metadata names `toolVersion`). */
export function assignShards(produced: readonly ProducedTensor[], maxShardBytes: number | undefined, toolVersion: string | undefined): ShardLayout {
  const shardPlan = planShards(produced, maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES, {
    indexMetadata: { mergekit_version: toolVersion ?? 'merge-studio' },
  });
  const byName = new Map(produced.map((p) => [p.name, p]));
  const tensors: PlannedTensor[] = shardPlan.shards.flatMap((shard, i) =>
    shard.header.tensors.map((info) => {
      const p = byName.get(info.name) as ProducedTensor;
      return { name: p.name, dtype: p.dtype, shape: p.shape, shard: i, expr: p.expr };
    }),
  );
  return {
    tensors,
    shards: shardPlan.shards.map((s) => ({ file: s.file, tensors: s.header.tensors.map((t) => t.name), bytes: s.bytes })),
    bytes: shardPlan.shards.reduce((sum, s) => sum + s.bytes, 0) + (shardPlan.index?.byteLength ?? 0),
  };
}
