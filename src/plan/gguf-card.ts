/** The model card's note about the GGUF files written beside (or instead of) the safetensors. */
import type { GgufExportPlan } from '../io/gguf/export-plan';
import type { MergePlan } from './types';

const LABEL: Readonly<Record<GgufExportPlan['type'], string>> = { f32: 'F32', f16: 'F16', bf16: 'BF16', q8_0: 'Q8_0' };

function ggufCardSection(gguf: GgufExportPlan): string {
  const files = gguf.files.map((f) => `\`${f.file}\``).join(', ');
  const split = gguf.files.length > 1 ? ` It is split into ${gguf.files.length} parts in llama.cpp's gguf-split layout: load the first one.` : '';
  return [
    '## GGUF',
    '',
    `${files}: the same merged weights for llama.cpp, Ollama and LM Studio, as ${LABEL[gguf.type]} (norms in F32), written in the same pass as the merge.${split}`,
    '',
  ].join('\n');
}

/** `plan` with the GGUF section added to its README.md (when it writes one). */
export function withGgufInCard(plan: MergePlan, gguf: GgufExportPlan): MergePlan {
  const extraFiles = plan.extraFiles.map((file) => (file.name === 'README.md' && file.kind === 'text' ? { ...file, text: `${file.text.trimEnd()}\n\n${ggufCardSection(gguf)}` } : file));
  const added = extraFiles.reduce((s, f) => s + (f.kind === 'text' ? new TextEncoder().encode(f.text).byteLength : 0), 0) - plan.extraFiles.reduce((s, f) => s + (f.kind === 'text' ? new TextEncoder().encode(f.text).byteLength : 0), 0);
  return { ...plan, extraFiles, summary: { ...plan.summary, outputBytes: plan.summary.outputBytes + added } };
}
