/**
 * Reuses GPU buffers between chunks: buffers are kept by (usage, size class) and handed out again, so a tensor's
 * chunks allocate nothing after the first. Size classes are powers of two (at least 256 bytes) below the device's
 * buffer limit; callers bind exact sizes. At most `keep` idle buffers per class stay alive.
 */
export class BufferPool {
  private readonly idle = new Map<string, GPUBuffer[]>();

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
    private readonly keep = 4,
  ) {}

  acquire(usage: GPUBufferUsageFlags, bytes: number, label: string): GPUBuffer {
    const size = this.sizeClass(bytes);
    const free = this.idle.get(`${usage}:${size}`);
    const buffer = free?.pop() ?? this.device.createBuffer({ label, size, usage });
    buffer.label = label;
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    const key = `${buffer.usage}:${buffer.size}`;
    const free = this.idle.get(key) ?? [];
    if (free.length >= this.keep) {
      buffer.destroy();
      return;
    }
    free.push(buffer);
    this.idle.set(key, free);
  }

  destroy(): void {
    for (const free of this.idle.values()) for (const buffer of free) buffer.destroy();
    this.idle.clear();
  }

  private sizeClass(bytes: number): number {
    const aligned = Math.max(256, Math.ceil(bytes / 4) * 4);
    const power = 2 ** Math.ceil(Math.log2(aligned));
    return power <= this.maxBufferSize ? power : aligned;
  }
}
