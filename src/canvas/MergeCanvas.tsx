/**
 * The recipe as a graph. The canvas only translates gestures into store actions: a new wire goes through
 * `wire` (refused with its reason when the headers say the models cannot merge) or, into a LoRA node, `wireLora` or
 * `wireStageLora` for a merge's output (refused when the adapter does not fit the model or the merge's output); deleting an edge or node disconnects or removes, dragging
 * stores positions.
 */
import { Background, Controls, ReactFlow, applyNodeChanges, useReactFlow } from '@xyflow/react';
import type { Connection, Edge, NodeChange } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useCallback, useEffect, useMemo, useState } from 'react';

import { useAppStore } from '../state/hooks';
import { buildGraph, parseNodeId } from './graph';
import type { StudioNode } from './graph';
import { NODE_TYPES } from './nodes';

export function MergeCanvas() {
  const stages = useAppStore((s) => s.recipe.stages);
  const final = useAppStore((s) => s.recipe.final);
  const looseModels = useAppStore((s) => s.looseModels);
  const positions = useAppStore((s) => s.positions);
  const wire = useAppStore((s) => s.wire);
  const wireLora = useAppStore((s) => s.wireLora);
  const wireStageLora = useAppStore((s) => s.wireStageLora);
  const removeLoraNode = useAppStore((s) => s.removeLoraNode);
  const disconnect = useAppStore((s) => s.disconnect);
  const removeModel = useAppStore((s) => s.removeModel);
  const removeStage = useAppStore((s) => s.removeStage);
  const setPosition = useAppStore((s) => s.setPosition);
  const select = useAppStore((s) => s.select);
  const notice = useAppStore((s) => s.notice);
  const setNotice = useAppStore((s) => s.setNotice);

  const graph = useMemo(() => buildGraph(stages, final, looseModels, positions), [stages, final, looseModels, positions]);
  // Measurements and selection are the canvas's own; the recipe decides which nodes exist and where.
  const [local, setLocal] = useState<StudioNode[]>([]);
  const nodes = useMemo(() => {
    const previous = new Map(local.map((n) => [n.id, n]));
    return graph.nodes.map((n) => {
      const old = previous.get(n.id);
      return old === undefined ? n : ({ ...n, measured: old.measured, selected: old.selected, dragging: old.dragging, position: old.dragging === true ? old.position : n.position } as StudioNode);
    });
  }, [graph.nodes, local]);

  const onNodesChange = useCallback(
    (changes: NodeChange<StudioNode>[]) => {
      setLocal(applyNodeChanges(changes, nodes));
      for (const change of changes) {
        if (change.type === 'position' && change.position !== undefined) setPosition(change.id, change.position);
        if (change.type === 'select' && change.selected) {
          const target = parseNodeId(change.id);
          select(target.kind === 'output' ? undefined : target);
        }
      }
    },
    [nodes, setPosition, select],
  );

  const onConnect = useCallback(
    (connection: Connection) => {
      const source = parseNodeId(connection.source);
      const target = parseNodeId(connection.target);
      if (source.kind === 'output') return;
      if (target.kind === 'lora') {
        if (source.kind === 'model') wireLora(source.ref, target.ref);
        else if (source.kind === 'stage') wireStageLora(source.index, target.ref);
        else setNotice('A LoRA bakes into a model or a merge’s output: wire one of those into it, not another LoRA.');
        return;
      }
      if (target.kind !== 'stage') return;
      wire(source.kind === 'stage' ? source : { kind: 'model', ref: source.ref }, target.index, connection.targetHandle === 'base' ? 'base' : 'model');
    },
    [wire, wireLora, wireStageLora, setNotice],
  );

  const onEdgesDelete = useCallback(
    (edges: Edge[]) => {
      for (const edge of edges) {
        const target = parseNodeId(edge.target);
        const ref = (edge.data as { ref?: string } | undefined)?.ref;
        if (target.kind === 'stage' && ref !== undefined) disconnect(target.index, ref);
      }
    },
    [disconnect],
  );

  const onNodesDelete = useCallback(
    (deleted: StudioNode[]) => {
      const targets = deleted.map((n) => parseNodeId(n.id));
      // LoRA nodes before their models (removing a model removes its LoRA nodes too), then stages from the highest
      // index down, so earlier indexes stay valid.
      for (const target of targets) if (target.kind === 'lora') removeLoraNode(target.ref);
      for (const target of targets) if (target.kind === 'model') removeModel(target.ref);
      const stageIndexes = targets.flatMap((t) => (t.kind === 'stage' ? [t.index] : [])).sort((a, b) => b - a);
      for (const index of stageIndexes) removeStage(index);
      select(undefined);
    },
    [removeLoraNode, removeModel, removeStage, select],
  );

  return (
    <div className="canvas" data-testid="canvas">
      <ReactFlow<StudioNode>
        nodes={nodes}
        edges={graph.edges}
        nodeTypes={NODE_TYPES}
        onNodesChange={onNodesChange}
        onConnect={onConnect}
        onEdgesDelete={onEdgesDelete}
        onNodesDelete={onNodesDelete}
        onPaneClick={() => select(undefined)}
        fitView
        fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
        minZoom={0.3}
        colorMode="dark"
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={24} size={1} />
        <Controls showInteractive={false} />
        <FitWhenNodesChange count={nodes.length} />
      </ReactFlow>
      {stages.length === 0 && looseModels.length === 0 ? (
        <div className="canvas-empty">
          <p>Add models on the left, then a merge node, and wire models into it.</p>
          <p className="node-muted">Or paste a mergekit recipe into the YAML panel.</p>
        </div>
      ) : null}
      {notice === undefined ? null : (
        <div className="wire-notice" role="alert" data-testid="wire-notice">
          <span>{notice}</span>
          <button type="button" onClick={() => setNotice(undefined)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
    </div>
  );
}

/** Keeps every node in view when nodes are added or removed (not when they move). */
function FitWhenNodesChange({ count }: { count: number }) {
  const { fitView } = useReactFlow();
  useEffect(() => {
    const timer = setTimeout(() => void fitView({ padding: 0.2, maxZoom: 1, duration: 150 }), 30);
    return () => clearTimeout(timer);
  }, [count, fitView]);
  return null;
}
