import { useState } from 'react';

import { formatModelRef } from '../../recipe/model-ref';
import type { ModelRef } from '../../recipe/types';
import { useAppStore } from '../../state/hooks';

/** An input's PEFT LoRA adapter: attach one (Hub id or folder, `model+lora` in the recipe) or remove it. */
export function LoraControl({ index, modelRef }: { index: number; modelRef: ModelRef }) {
  const addLora = useAppStore((s) => s.addLora);
  const detachLora = useAppStore((s) => s.detachLora);
  const [adapter, setAdapter] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const ref = formatModelRef(modelRef);
  if (modelRef.lora !== undefined) {
    const lora = modelRef.lora.revision === undefined ? modelRef.lora.path : `${modelRef.lora.path}@${modelRef.lora.revision}`;
    return (
      <div className="row lora-row" data-testid="lora-attached">
        <span className="role role-lora">LoRA</span>
        <span className="input-ref">{lora}</span>
        <button type="button" className="small" onClick={() => detachLora(ref, index)}>
          Remove LoRA
        </button>
      </div>
    );
  }
  const attach = () => {
    const reason = addLora(ref, adapter, index);
    if (reason === undefined) setAdapter('');
    setError(reason);
  };
  return (
    <div className="row lora-row">
      <input aria-label={`LoRA adapter for ${ref}`} placeholder="LoRA: Hub id or folder" value={adapter} onChange={(e) => setAdapter(e.target.value)} />
      <button type="button" className="small" disabled={adapter.trim() === ''} onClick={attach}>
        Attach LoRA
      </button>
      {error === undefined ? null : <span className="error-text">{error}</span>}
    </div>
  );
}
