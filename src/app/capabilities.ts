import type { Capability } from '../ui/CapabilityList';

/** What the browser offers for merging: a WebGPU adapter, and a way to write the output folder. */
export async function detectCapabilities(): Promise<Capability[]> {
  return [await detectWebGpu(), detectDirectoryPicker(), await detectOpfs()];
}

async function detectWebGpu(): Promise<Capability> {
  const name = 'WebGPU';
  if (!('gpu' in navigator)) {
    return { name, status: 'missing', detail: 'Not available: merges run on the CPU in a worker (slower).' };
  }
  const adapter = await navigator.gpu.requestAdapter().catch(() => null);
  if (adapter === null) {
    return { name, status: 'missing', detail: 'No GPU adapter: merges run on the CPU in a worker (slower).' };
  }
  const { vendor, architecture, description } = adapter.info;
  const label = [vendor, architecture, description].filter((part) => part !== '').join(' · ');
  const software = architecture === 'swiftshader' || adapter.info.isFallbackAdapter === true;
  return {
    name,
    status: software ? 'limited' : 'ok',
    detail: software ? `Software adapter (${label}): merges are correct but slow.` : `Adapter: ${label || 'unnamed'}`,
  };
}

function detectDirectoryPicker(): Capability {
  const name = 'Save to a folder';
  return 'showDirectoryPicker' in window
    ? { name, status: 'ok', detail: 'The merged model streams straight into a folder you pick.' }
    : { name, status: 'limited', detail: 'No folder picker: output is kept in browser storage and downloaded file by file.' };
}

async function detectOpfs(): Promise<Capability> {
  const name = 'Browser storage';
  try {
    const estimate = await navigator.storage.estimate();
    const quota = estimate.quota === undefined ? 'unknown quota' : `${(estimate.quota / 1e9).toFixed(1)} GB quota`;
    return { name, status: 'ok', detail: `Origin private file system available (${quota}).` };
  } catch {
    return { name, status: 'missing', detail: 'No origin private file system.' };
  }
}
