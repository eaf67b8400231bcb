/** GPU failures as {@link AppError}s: device loss (E_DEVICE_LOST) and validation / out-of-memory errors (E_GPU). */
import { AppError } from '../shared/errors';

const LOST_HINT = 'Run the merge again (it resumes); if the GPU keeps failing, close other GPU-heavy tabs or use the CPU backend.';

export function deviceLostError(info: GPUDeviceLostInfo | undefined, cause?: unknown): AppError {
  const why = info === undefined ? 'unknown reason' : `${info.reason}${info.message === '' ? '' : `: ${info.message}`}`;
  return new AppError('E_DEVICE_LOST', `The GPU device was lost (${why}).`, { hint: LOST_HINT, ...(cause === undefined ? {} : { cause }) });
}

export function gpuError(what: string, error: GPUError | unknown): AppError {
  const outOfMemory = typeof GPUOutOfMemoryError !== 'undefined' && error instanceof GPUOutOfMemoryError;
  const message = error instanceof Object && 'message' in error ? String(error.message) : String(error);
  return new AppError('E_GPU', `${what} failed on the GPU${outOfMemory ? ' (out of memory)' : ''}: ${message}`, {
    hint: outOfMemory ? 'Use a smaller chunk size or the CPU backend.' : 'This is a bug in the WebGPU backend; the CPU backend gives the same result.',
    cause: error,
  });
}

/**
 * Opens validation and out-of-memory error scopes around the encoding of one submission; `close` pops both at once and
 * resolves to the error they captured (null if none). Popping is synchronous, so the next submission may open its own
 * scopes straight away: only the caller that needs the verdict waits for it (with its readback).
 */
export function openErrorScopes(device: GPUDevice): { close(): Promise<GPUError | null> } {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  return {
    close: () => {
      const validation = device.popErrorScope().catch(() => null);
      const memory = device.popErrorScope().catch(() => null);
      return Promise.all([validation, memory]).then(([v, m]) => m ?? v);
    },
  };
}
