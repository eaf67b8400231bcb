import { describe, expect, it } from 'vitest';

import { exportRecipe } from '../recipe/export';
import { parseRecipe } from '../recipe/parse';
import { formatModelRef } from '../recipe/model-ref';
import { FRANKEN, LZLV, THORNS } from '../../test/fixtures/recipes';
import { DEFAULT_FILTER, curvesToSetting, resolvedTable, settingToCurves } from './gradient';
import { formatSetting, parseSetting } from './param-notation';
import * as edit from './recipe-edit';
import { repoIdFromInput } from './sources-slice';

const lzlv = (): edit.EditableRecipe => ({ stages: parseRecipe(LZLV).stages, looseModels: [] });

describe('recipe edits', () => {
  it('removing a stage frees its models and unhooks the stages that used it', () => {
    const next = edit.removeStage(lzlv(), 0);
    expect(next.stages.map((s) => s.name)).toEqual(['component-2', undefined]);
    expect(next.stages[1]?.baseModel).toBeUndefined();
    // tiny/llama-bf16 is still used by component-2; tiny/llama-bf16-ft is left unwired on the canvas.
    expect(next.looseModels).toEqual(['tiny/llama-bf16-ft']);
    expect(edit.toDocument(next.stages).final).toBe(1);
  });

  it('disconnecting keeps the model on the canvas; removing a model takes it out of every stage', () => {
    const cut = edit.disconnect(lzlv(), 0, 'tiny/llama-bf16-ft');
    expect(cut.stages[0]?.models).toEqual([]);
    expect(cut.looseModels).toEqual(['tiny/llama-bf16-ft']);
    const gone = edit.removeModel(lzlv(), 'tiny/llama-bf16');
    expect(gone.stages[0]?.baseModel).toBeUndefined();
    expect(gone.stages[1]?.models).toEqual([]);
    expect(edit.allModelRefs(gone)).not.toContain('tiny/llama-bf16');
  });

  it('changing the method keeps shared parameters and adds required ones', () => {
    const linear = edit.setMethod(lzlv(), 2, 'linear');
    const stage = linear.stages[2];
    expect(stage?.mergeMethod).toBe('linear');
    expect(stage?.baseModel).toBeUndefined();
    expect(stage?.parameters['t']).toBeUndefined();
    expect(stage?.models?.map((m) => m.model.path)).toEqual(['component-1', 'component-2']);
    expect(stage?.models?.every((m) => m.parameters['weight'] === 1)).toBe(true);
    // The edited recipe is one mergekit reads.
    expect(parseRecipe(exportRecipe(linear)).stages).toEqual(linear.stages);
  });

  it('refuses a second model into SLERP and a duplicate input, with reasons', () => {
    const recipe = lzlv();
    expect(() => edit.connect(recipe, { kind: 'model', ref: 'tiny/llama-bf16-ft2' }, 0, 'model')).toThrow(/SLERP takes 1 model/);
    expect(() => edit.connect(recipe, { kind: 'model', ref: 'tiny/llama-bf16' }, 1, 'model')).toThrow(/already an input/);
    expect(() => edit.connect(recipe, { kind: 'stage', index: 2 }, 0, 'base')).toThrow(/loop/);
  });
});

describe('inputs the user types', () => {
  it('reads Hub URLs and repo ids', () => {
    expect(repoIdFromInput('https://huggingface.co/mistralai/Mistral-7B-v0.1')).toBe('mistralai/Mistral-7B-v0.1');
    expect(repoIdFromInput('https://huggingface.co/org/model/tree/v2')).toBe('org/model@v2');
    expect(repoIdFromInput('http://127.0.0.1:5190/tiny/llama-bf16/tree/main')).toBe('tiny/llama-bf16');
    expect(repoIdFromInput('  owner/name@abc ')).toBe('owner/name@abc');
  });

  it('parameter notation round-trips and refuses what mergekit would not read', () => {
    for (const text of ['0.5', 'true', '[0, 0.5, 1]', '[{filter: self_attn, value: [0, 1]}, {value: 0.5}]']) {
      const parsed = parseSetting(text);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(formatSetting(parsed.value)).toBe(text);
    }
    expect(parseSetting('')).toEqual({ ok: true, value: undefined });
    expect(parseSetting('[0, [1]]').ok).toBe(false);
    expect(parseSetting('{a: 1}').ok).toBe(false);
  });
});

describe('LoRA and revision edits', () => {
  it('attaching a LoRA makes the input model+lora in the YAML; detaching restores the plain reference', () => {
    const withLora = edit.attachLora(lzlv(), 'tiny/llama-bf16-ft', 'tiny/llama-lora');
    const yaml = exportRecipe(edit.toDocument(withLora.stages));
    expect(yaml).toContain('tiny/llama-bf16-ft+tiny/llama-lora');
    expect(edit.allModelRefs(withLora)).toContain('tiny/llama-bf16-ft+tiny/llama-lora');
    expect(edit.allModelRefs(withLora)).not.toContain('tiny/llama-bf16-ft');
    const parsed = parseRecipe(yaml).stages;
    expect(parsed[0]?.models?.find((m) => m.model.path === 'tiny/llama-bf16-ft')?.model.lora).toEqual({ path: 'tiny/llama-lora' });
    const plain = edit.detachLora(withLora, 'tiny/llama-bf16-ft+tiny/llama-lora');
    expect(exportRecipe(edit.toDocument(plain.stages))).toBe(exportRecipe(edit.toDocument(lzlv().stages)));
  });

  it('attaching to one stage only leaves the other stages on the plain model', () => {
    const one = edit.attachLora(lzlv(), 'tiny/llama-bf16', 'tiny/llama-lora@main', 1);
    // Removing it again from that stage leaves no unwired LoRA node behind.
    expect(edit.detachLora(one, 'tiny/llama-bf16+tiny/llama-lora@main', 1)).toEqual(lzlv());
    expect(formatRef(one.stages[1]?.models?.[0]?.model)).toBe('tiny/llama-bf16+tiny/llama-lora@main');
    expect(formatRef(one.stages[0]?.baseModel)).toBe('tiny/llama-bf16');
    expect(() => edit.attachLora(lzlv(), 'tiny/llama-bf16', 'a+b')).toThrow(/single adapter/);
  });

  it('a LoRA node is a model+lora reference on the canvas; wiring another model into it moves the adapter there', () => {
    const added = edit.addLoraNode(lzlv(), 'tiny/llama-bf16-ft', 'tiny/llama-lora@v2');
    expect(added.looseModels).toEqual(['tiny/llama-bf16-ft+tiny/llama-lora@v2']);
    expect(() => edit.addLoraNode(lzlv(), 'tiny/llama-bf16-ft+x/a', 'tiny/llama-lora')).toThrow(/already has a LoRA/);
    expect(() => edit.addLoraNode(lzlv(), 'tiny/llama-bf16-ft', 'a+b')).toThrow(/single adapter/);
    const wired = edit.attachLora(lzlv(), 'tiny/llama-bf16-ft', 'tiny/llama-lora@v2');
    const moved = edit.rebaseLora(wired, 'tiny/llama-bf16-ft+tiny/llama-lora@v2', 'tiny/llama-bf16-ft2');
    expect(moved.stages[0]?.models?.map((m) => formatRef(m.model))).toEqual(['tiny/llama-bf16-ft2+tiny/llama-lora@v2']);
    // The model the adapter left is used nowhere else: it stays on the canvas, unwired.
    expect(moved.looseModels).toEqual(['tiny/llama-bf16-ft']);
    expect(() => edit.rebaseLora(wired, 'tiny/llama-bf16-ft', 'tiny/llama-bf16')).toThrow(/has no LoRA/);
  });

  it('a LoRA node on a merge output: stage+adapter in the recipe, moved onto a merge by a wire, gone with its merge', () => {
    const thorns = { stages: parseRecipe(THORNS).stages, looseModels: [] };
    expect(parseRecipe(exportRecipe(parseRecipe(THORNS))).stages).toEqual(thorns.stages);
    // Nodes: real models and LoRA nodes; the stages those LoRA nodes sit on are not models to load.
    expect(edit.allModelRefs(thorns)).toEqual(['tiny/llama-bf16', 'tiny/llama-bf16-ft', 'tiny/llama-bf16-ft2', 'tiny/llama-bf16-ft3', 'thorns-left+tiny/llama-lora', 'thorns-right+tiny/llama-lora-rs', 'tiny/llama-bf16-ft4+tiny/llama-lora-fifo']);
    expect(edit.toDocument(thorns.stages).order).toEqual([0, 1, 2, 3]);
    // The input LoRA node moved onto the output of thorns-right: the final merge now reads thorns-right through it.
    const moved = edit.rebaseLoraOnStage(thorns, 'tiny/llama-bf16-ft4+tiny/llama-lora-fifo', 1);
    expect(formatModelRef(moved.stages[3]!.models![0]!.model)).toBe('thorns-right+tiny/llama-lora-fifo');
    expect(moved.looseModels).toEqual(['tiny/llama-bf16-ft4']);
    expect(() => edit.rebaseLoraOnStage(thorns, 'thorns-left+tiny/llama-lora', 2)).toThrow(/would make a loop/);
    // An unnamed merge gets a name when its output feeds a LoRA node.
    const lzlvWithNode = edit.addLoraNode(lzlv(), 'tiny/llama-bf16', 'tiny/llama-lora');
    const named = edit.rebaseLoraOnStage(lzlvWithNode, 'tiny/llama-bf16+tiny/llama-lora', 2);
    expect(named.stages[2]?.name).toBe('merge-4');
    expect(named.looseModels).toEqual(['merge-4+tiny/llama-lora']);
    // Removing thorns-left removes the input that read it through the LoRA.
    const removed = edit.removeStage(thorns, 0);
    expect(removed.stages[1]?.baseModel).toBeUndefined();
    expect(edit.allModelRefs(removed)).not.toContain('thorns-left+tiny/llama-lora');
    // A wire from a LoRA node on a merge into that merge's own inputs is a loop.
    expect(() => edit.connect(thorns, { kind: 'model', ref: 'thorns-mid+tiny/llama-lora' }, 0, 'model')).toThrow(/would make a loop/);
  });

  it('an adapter folder placed on the canvas like a model leaves it when a LoRA node uses it', () => {
    const placed = { stages: [], looseModels: ['local-base', 'my-adapter'] };
    expect(edit.addLoraNode(placed, 'local-base', 'my-adapter').looseModels).toEqual(['local-base', 'local-base+my-adapter']);
    const wired = edit.attachLora({ ...lzlv(), looseModels: ['my-adapter'] }, 'tiny/llama-bf16-ft', 'my-adapter');
    expect(wired.looseModels).toEqual([]);
  });

  it('deleting a LoRA node drops its wires and keeps its model; deleting the model takes its LoRA nodes too', () => {
    const withLora = edit.attachLora(lzlv(), 'tiny/llama-bf16-ft', 'tiny/llama-lora');
    const noNode = edit.removeLoraNode(withLora, 'tiny/llama-bf16-ft+tiny/llama-lora');
    expect(edit.allModelRefs(noNode)).toEqual(['tiny/llama-bf16', 'tiny/llama-bf16-ft2', 'tiny/llama-bf16-ft']);
    expect(noNode.stages[0]?.models).toEqual([]);
    expect(noNode.looseModels).toEqual(['tiny/llama-bf16-ft']);
    const noModel = edit.removeModel({ ...withLora, looseModels: ['tiny/llama-bf16-ft+other/lora'] }, 'tiny/llama-bf16-ft');
    expect(edit.allModelRefs(noModel)).toEqual(['tiny/llama-bf16', 'tiny/llama-bf16-ft2']);
  });

  it('a SLERP that lists its base under models: takes one more model besides the base, not two', () => {
    const full = { stages: parseRecipe('merge_method: slerp\nbase_model: a/base\nmodels:\n  - model: a/base\n  - model: a/first\nparameters: {t: 0.5}\n').stages, looseModels: ['a/other', 'a/third'] };
    const slerp = edit.disconnect(full, 0, 'a/first');
    const one = edit.connect(slerp, { kind: 'model', ref: 'a/other' }, 0, 'model');
    expect(one.stages[0]?.models?.map((m) => formatRef(m.model))).toEqual(['a/base', 'a/other']);
    expect(() => edit.connect(one, { kind: 'model', ref: 'a/third' }, 0, 'model')).toThrow(/takes 1 model besides the base/);
  });

  it('a model that several slices read is one input of the stage', () => {
    const franken = parseRecipe(FRANKEN.replace('tiny/llama-bf16-ft', 'tiny/llama-bf16')).stages[0]!;
    expect(edit.stageInputs(franken)).toHaveLength(2);
    expect(edit.distinctInputs(franken).map((i) => formatRef(i.ref))).toEqual(['tiny/llama-bf16']);
  });

  it('a revision pins the reference as repo@revision, and clearing it goes back', () => {
    const pinned = edit.setRevision(lzlv(), 'tiny/llama-bf16', 'v1.0');
    const yaml = exportRecipe(edit.toDocument(pinned.stages));
    expect(yaml).toContain('tiny/llama-bf16@v1.0');
    expect(yaml).not.toMatch(/tiny\/llama-bf16(?![-@])/);
    const back = edit.setRevision(pinned, 'tiny/llama-bf16@v1.0', '');
    expect(exportRecipe(edit.toDocument(back.stages))).toBe(exportRecipe(edit.toDocument(lzlv().stages)));
    expect(() => edit.setRevision(lzlv(), 'tiny/llama-bf16', 'a@b')).toThrow(/cannot contain/);
  });

  it('a gradient on one input model\'s weight (linear) is written to that entry only and survives the YAML round trip', () => {
    const linear = edit.setMethod(lzlv(), 2, 'linear');
    const stage = linear.stages[2];
    if (stage === undefined) throw new Error('no stage');
    const curves = { [DEFAULT_FILTER]: [0.2, 0.8, 0.5], self_attn: [1, 0] };
    const next = edit.setParameter(linear, 2, 'weight', curvesToSetting(curves), 'component-2');
    const edited = next.stages[2];
    if (edited === undefined) throw new Error('no stage');
    expect(edit.stageParameters(edited, 'component-1')['weight']).toBe(1);
    expect(settingToCurves(edit.stageParameters(edited, 'component-2')['weight'], 1)).toEqual(curves);
    expect(edit.stageParameters(edited)).toBe(edited.parameters);
    expect(edit.stageParameters(edited, 'not-an-input')).toEqual({});
    // Through the YAML text and back: the same curves on the same model, resolved per layer by the recipe's own rules.
    const reparsed = parseRecipe(exportRecipe(edit.toDocument(next.stages))).stages[2];
    if (reparsed === undefined) throw new Error('no stage');
    const weight = edit.stageParameters(reparsed, 'component-2')['weight'];
    expect(settingToCurves(weight, 1)).toEqual(curves);
    if (weight === undefined) throw new Error('no weight');
    const table = resolvedTable(weight, 3, [DEFAULT_FILTER, 'self_attn']);
    expect(table.map((row) => row.values)).toEqual([
      [0.2, 1],
      [0.8, 0.5],
      [0.5, 0],
    ]);
  });

  it('slices: a source\'s range and model are edited, slices added and removed, and ranges checked against layer counts', () => {
    const text = FRANKEN;
    const start: edit.EditableRecipe = { stages: parseRecipe(text).stages, looseModels: [] };
    const layersOf = (ref: string) => (ref.startsWith('tiny/llama') ? 4 : undefined);
    expect(edit.sliceProblems(start.stages[0] as never, layersOf)).toEqual([]);
    const widened = edit.setSliceSource(start, 0, 1, 0, { layerRange: [2, 6] });
    expect(edit.sliceProblems(widened.stages[0] as never, layersOf)).toEqual(['Slice 2: tiny/llama-bf16-ft has 4 layers, so the range [2, 6) runs past its end.']);
    const empty = edit.setSliceSource(start, 0, 0, 0, { layerRange: [3, 3] });
    expect(edit.sliceProblems(empty.stages[0] as never, layersOf)[0]).toMatch(/Slice 1: .* \[3, 3\) is not a layer range/);
    const moved = edit.setSliceSource(start, 0, 0, 0, { model: 'tiny/llama-bf16-ft2' });
    const added = edit.addSlice(moved, 0, 2);
    const doc = parseRecipe(exportRecipe(edit.toDocument(added.stages))).stages[0];
    expect(doc?.slices?.map((s) => s.sources.map((src) => [formatModelRef(src.model), src.layerRange]))).toEqual([
      [['tiny/llama-bf16-ft2', [0, 3]]],
      [['tiny/llama-bf16-ft', [1, 4]]],
      [['tiny/llama-bf16-ft', [4, 6]]],
    ]);
    const removed = edit.removeSlice(added, 0, 0);
    expect(removed.stages[0]?.slices?.map((s) => s.sources[0]?.layerRange)).toEqual([
      [1, 4],
      [4, 6],
    ]);
    const one = edit.removeSlice(removed, 0, 0);
    expect(one.stages[0]?.slices).toHaveLength(1);
    expect(() => edit.removeSlice(one, 0, 0)).toThrow(/at least one slice/);
    expect(() => edit.addSlice(lzlv(), 0)).toThrow(/not built from slices/);
  });

  it('a loose model is renamed in place', () => {
    const loose = edit.addModel(edit.EMPTY_RECIPE, 'tiny/llama-f32');
    expect(edit.setRevision(loose, 'tiny/llama-f32', 'abc123').looseModels).toEqual(['tiny/llama-f32@abc123']);
  });
});

function formatRef(ref: Parameters<typeof formatModelRef>[0] | undefined): string | undefined {
  return ref === undefined ? undefined : formatModelRef(ref);
}
