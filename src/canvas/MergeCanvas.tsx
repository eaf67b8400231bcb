/**
 * The recipe as a graph. The canvas only translates gestures into store actions: a new wire goes through
 * `wire` (refused with its reason when the headers say the models cannot merge) or, into a LoRA node, `wireLora` or
 * `wireStageLora` for a merge's output (refused when the adapter does not fit the model or the merge's output); deleting an edge or node disconnects or removes, dragging
 * stores positions.
 */
import { Background, Controls, ReactFlow, applyNodeChanges, useNodesInitialized, useReactFlow, useStore } from '@xyflow/react';
import type { Connection, Edge, NodeChange } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useCallback, useEffect, useMemo, useState } from 'react';

import { useAppStore } from '../state/hooks';
import { MAX_FIT_ZOOM, MIN_FIT_ZOOM, readableViewport } from './fit';
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
        deleteKeyCode={DELETE_KEYS}
        panOnScroll
        minZoom={0.3}
        colorMode="dark"
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={24} size={1} />
        <Controls showInteractive={false} fitViewOptions={{ padding: 0.1, minZoom: MIN_FIT_ZOOM, maxZoom: MAX_FIT_ZOOM }} />
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

/** Delete or Backspace removes the selected nodes and wires (outside text fields, which keep their keys). */
const DELETE_KEYS = ['Delete', 'Backspace'];

/**
 * Fits the recipe into view when nodes are added or removed (not when they move) and when the pane changes size (a
 * panel opened or closed) — at a zoom where node text stays readable; what does not fit is scrolled to.
 */
function FitWhenNodesChange({ count }: { count: number }) {
  const { getNodes, getNodesBounds, setViewport } = useReactFlow<StudioNode>();
  const measured = useNodesInitialized();
  const width = useStore((s) => s.width);
  const height = useStore((s) => s.height);
  useEffect(() => {
    if (!measured || width === 0 || height === 0) return;
    const timer = setTimeout(() => {
      const nodes = getNodes();
      if (nodes.length > 0) void setViewport(readableViewport(getNodesBounds(nodes), width, height), { duration: 150 });
    }, 30);
    return () => clearTimeout(timer);
  }, [count, measured, width, height, getNodes, getNodesBounds, setViewport]);
  return null;
}
