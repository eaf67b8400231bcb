/** Compute pipelines by (shader, override constants), compiled once per device; shader modules by name. */
import { loadShader } from './shader-library';
import type { ShaderLibrary } from './shader-library';

export type Constants = Readonly<Record<string, number | boolean>>;

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(
    private readonly device: GPUDevice,
    private readonly shaders: ShaderLibrary,
  ) {}

  get(shader: string, constants: Constants = {}): Promise<GPUComputePipeline> {
    const entries = Object.entries(constants).sort(([a], [b]) => (a < b ? -1 : 1));
    const key = `${shader}?${entries.map(([k, v]) => `${k}=${String(v)}`).join('&')}`;
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      pipeline = this.device.createComputePipelineAsync({
        label: key,
        layout: 'auto',
        compute: {
          module: this.module(shader),
          entryPoint: 'main',
          constants: Object.fromEntries(entries.map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 1 : 0) : v])),
        },
      });
      this.pipelines.set(key, pipeline);
      // A failed compilation is not cached: the next call reports it again.
      pipeline.catch(() => this.pipelines.delete(key));
    }
    return pipeline;
  }

  private module(shader: string): GPUShaderModule {
    let module = this.modules.get(shader);
    if (module === undefined) {
      module = this.device.createShaderModule({ label: shader, code: loadShader(this.shaders, shader) });
      this.modules.set(shader, module);
    }
    return module;
  }
}
