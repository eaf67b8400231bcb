/** Connects the GGUF output settings to the job: format, type and split size go to the plan; its GGUF files come back. */
import { useState } from 'react';

import { parseByteSize, formatBytes } from '../shared/format';
import { useAppStore } from '../state/hooks';
import { GgufSettings } from '../ui/GgufSettings';
import { compactSize } from './run/run-view';

export function GgufOutputFields() {
  const output = useAppStore((s) => s.job.output);
  const plan = useAppStore((s) => s.job.plan);
  const actions = useAppStore((s) => s.jobActions);
  const [splitText, setSplitText] = useState(output.ggufSplitBytes === undefined ? '' : compactSize(output.ggufSplitBytes));
  const [splitError, setSplitError] = useState<string | undefined>();
  const changeSplit = (text: string) => {
    setSplitText(text);
    if (text === '') {
      setSplitError(undefined);
      void actions.setOutput({ ggufSplitBytes: undefined });
      return;
    }
    const bytes = parseByteSize(text);
    if (bytes === undefined || bytes < 1e6) {
      setSplitError('Empty for one file, or a size such as 40GB or 2GB.');
      return;
    }
    setSplitError(undefined);
    void actions.setOutput({ ggufSplitBytes: bytes });
  };
  const files = plan?.gguf?.files;
  const estimate = files === undefined ? undefined : `${files.length === 1 ? files[0]?.file : `${files.length} parts`} · ${formatBytes(files.reduce((s, f) => s + f.bytes, 0))}`;
  return (
    <GgufSettings
      format={output.format ?? 'safetensors'}
      type={output.ggufType ?? 'f16'}
      splitSize={splitText}
      splitSizeError={splitError}
      estimate={estimate}
      onFormatChange={(format) => void actions.setOutput({ format })}
      onTypeChange={(ggufType) => void actions.setOutput({ ggufType })}
      onSplitSizeChange={changeSplit}
    />
  );
}
